//! The create journal's part in `create` and `rotate`: each create's entry begun before it is
//! sent and settled after, and a key whose create answer an earlier run lost found by name in
//! the account's listing (read once) and adopted instead of made a second time.

use super::lifecycle::Planned;
use super::report::Reporter;
use super::runner::Tally;
use crate::error::{Error, Result};
use crate::journal::{self, Account, Entry, Journal, Verdict};
use crate::key::Key;
use crate::outcome::{KeyResult, Outcome};
use crate::session::Session;
use crate::settings::Global;

/// The journal of one run on one account.
pub struct Journalled {
    journal: Journal,
    account: Account,
    /// `create` or `rotate`.
    command: &'static str,
    /// The options naming the account in a command to run by hand.
    sel: String,
}

impl Journalled {
    /// The journal for `command`'s creates on the account of `s` (an error, before anything
    /// is sent, when there is no state folder for it).
    pub fn open(
        global: &Global,
        s: &Session,
        command: &'static str,
        sel: &str,
    ) -> Result<Journalled> {
        Ok(Journalled {
            journal: Journal::open()?,
            account: Account::new(global.profile().map(|p| p.name.as_str()), s.p, &s.base),
            command,
            sel: sel.to_string(),
        })
    }

    /// The journal for `command`'s creates on `account` (apply: one per profile of its key
    /// file), as [`Journalled::open`].
    pub fn for_account(account: Account, command: &'static str, sel: &str) -> Result<Journalled> {
        Ok(Journalled {
            journal: Journal::open()?,
            account,
            command,
            sel: sel.to_string(),
        })
    }

    /// Writes the entry of a create of `name` before it is sent (`others`: keys holding the
    /// name already, rotate's old key); stores it in `begun` for [`Journalled::settle`].
    pub fn begin(&self, name: &str, others: &[String], begun: &mut Option<Entry>) -> Result<()> {
        *begun = Some(
            self.journal
                .begin(&self.account, name, self.command, others)?,
        );
        Ok(())
    }

    /// After the create: closes the entry `begun` unless `outcome` says a key may have been
    /// made whose answer was lost. A journal that cannot be changed now is said, not fatal:
    /// the entry stays, and the next run finds the key by name.
    pub fn settle(&self, begun: Option<Entry>, outcome: &Outcome) {
        let Some(entry) = begun else { return };
        self.settle_entry(entry, outcome);
    }

    /// After a create that made its key (its id known): closes the entry `begun`.
    pub fn made(&self, begun: Option<Entry>) {
        self.settle(begun, &Outcome::NotAttempted);
    }

    fn settle_entry(&self, entry: Entry, outcome: &Outcome) {
        let ended = match outcome {
            // The key and its id are known (its secret may not have reached its place).
            Outcome::Created { .. } | Outcome::Rotated { .. } => None,
            o => o.error(),
        };
        if let Err(e) = self.journal.settle(&entry, ended) {
            crate::output::warn(&format!(
                "{e} (the entry of '{}' stays: the next create of that name finds the key \
                 by name and reports it adopted)",
                crate::text::sanitize(&entry.name)
            ));
        }
    }

    /// The pending entries of this account among `names` (of this command's creates), each
    /// with what the listing says of it; the listing is read only when there are some. The
    /// adopted and not-made entries are closed.
    async fn found(
        &self,
        s: &Session,
        wanted: impl Fn(&Entry) -> bool,
    ) -> Result<Vec<journal::Reconciled>> {
        let pending: Vec<Entry> = self
            .journal
            .pending(&self.account)?
            .into_iter()
            .filter(|e| wanted(e))
            .collect();
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let found = journal::reconcile(&pending, s.listing().await?);
        if let Err(e) = self.journal.close_found(&found) {
            crate::output::warn(&e.to_string());
        }
        Ok(found)
    }

    /// `create`: the creates of `plans` an earlier run's lost create made are adopted (their
    /// results pushed and counted now), and the rest handed back to be made. A name two or
    /// more keys have is refused for the run (exit 2, nothing sent), each key named.
    pub async fn adopt_planned(
        &self,
        s: &Session,
        plans: Vec<Planned>,
        report: &mut Reporter,
        tally: &mut Tally,
    ) -> Result<Vec<Planned>> {
        let names: Vec<String> = plans.iter().map(|pl| pl.new.name.clone()).collect();
        let mut left = Vec::with_capacity(plans.len());
        for (planned, adopted) in plans.into_iter().zip(self.adopt_created(s, &names).await?) {
            match adopted {
                Some(r) => {
                    tally.count(&r.outcome);
                    report.push(r);
                }
                None => left.push(planned),
            }
        }
        Ok(left)
    }

    /// For each of `names`, its adopted result, or None to create it (a name given twice is
    /// adopted once).
    async fn adopt_created(&self, s: &Session, names: &[String]) -> Result<Vec<Option<KeyResult>>> {
        let stored: Vec<String> = names.iter().map(|n| journal::stored_name(n)).collect();
        let found = self.found(s, |e| stored.contains(&e.name)).await?;
        let ambiguous: Vec<String> = found
            .iter()
            .filter_map(|r| match &r.verdict {
                Verdict::Ambiguous(ids) => Some(journal::ambiguous_message(&r.entry, ids)),
                _ => None,
            })
            .collect();
        if !ambiguous.is_empty() {
            return Err(Error::usage(format!(
                "{}: {}. Nothing was created",
                s.p,
                ambiguous.join("; ")
            )));
        }
        // Another run creating one of the names now, or one lost so recently that the listing
        // may not show its key yet: refused before anything is sent.
        let mut held: Vec<String> = Vec::new();
        for name in &stored {
            if let Some(e) = self.journal.held(&self.account, name) {
                held.push(e.to_string());
            }
        }
        if !held.is_empty() {
            return Err(Error::usage(format!("{}: {}", s.p, held.join("; "))));
        }
        let mut used: Vec<&str> = Vec::new();
        let mut results = Vec::with_capacity(names.len());
        for stored in &stored {
            let hit = found.iter().find_map(|r| match &r.verdict {
                Verdict::Adopted(k)
                    if &r.entry.name == stored && !used.contains(&r.entry.entry.as_str()) =>
                {
                    Some((k, &r.entry))
                }
                _ => None,
            });
            results.push(hit.map(|(k, entry)| {
                used.push(entry.entry.as_str());
                KeyResult {
                    provider: s.p,
                    key: k.id.clone(),
                    outcome: self.adopted(s, k, entry, None),
                }
            }));
        }
        Ok(results)
    }

    /// `rotate` of `old`: the successor named `name` an earlier rotation of it made and lost
    /// the answer to, adopted (the old key is left as it is), or two or more keys with the name
    /// reported; None when there is none (the rotation goes on).
    pub async fn adopt_successor(&self, s: &Session, old: &str, name: &str) -> Option<Outcome> {
        let stored = journal::stored_name(name);
        let wanted = |e: &Entry| e.name == stored && e.others.iter().any(|o| o == old);
        let found = match self.found(s, wanted).await {
            Ok(f) => f,
            Err(e) => return Some(Outcome::Failed(e)),
        };
        let r = found
            .iter()
            .find(|r| !matches!(r.verdict, Verdict::NotMade))?;
        Some(match &r.verdict {
            Verdict::Adopted(k) => self.adopted(s, k, &r.entry, Some(old)),
            Verdict::Ambiguous(ids) => Outcome::Failed(Error::usage(format!(
                "{}: {}; the old key {} was left as it is",
                s.p,
                journal::ambiguous_message(&r.entry, ids),
                crate::text::sanitize(old)
            ))),
            Verdict::NotMade => return None,
        })
    }

    /// The outcome of key `k` adopted from `entry` (`old`: the key a rotation was of).
    fn adopted(&self, s: &Session, k: &Key, entry: &Entry, old: Option<&str>) -> Outcome {
        let id = crate::text::sanitize(&k.id);
        let rotate = format!("keyctl rotate {} {id}", self.sel);
        let mut why = journal::adopted_message(entry, &rotate);
        if let Some(old) = old {
            why.push_str(&format!(
                ". The old key {} was left as it is: revoke the adopted key (`keyctl revoke {} \
                 {id} --yes`) and rotate the old key again, or keep it and rotate it",
                crate::text::sanitize(old),
                self.sel
            ));
        }
        Outcome::Adopted {
            after: Box::new(k.clone()),
            error: Error::Adopted {
                provider: s.p.info().name,
                id: crate::text::sanitize(&k.id),
                name: crate::text::sanitize(&k.name.value().cloned().unwrap_or_default()),
                why,
            },
        }
    }
}

/// `keyctl log`: the pending creates (of `provider` and `profile` when given) said on stderr,
/// with what to do; nothing without a state folder or a journal. A journal that cannot be read
/// is said as a warning (the trail was printed all the same).
pub fn say_pending(provider: Option<&str>, profile: Option<&str>) {
    let Ok(journal) = Journal::open() else { return };
    let all = match journal.all() {
        Ok(all) => all,
        Err(e) => return crate::output::warn(&e.to_string()),
    };
    let shown: Vec<Entry> = all
        .into_iter()
        .filter(|e| provider.is_none_or(|p| e.account.provider == p))
        .filter(|e| profile.is_none_or(|p| e.account.profile.as_deref() == Some(p)))
        .collect();
    for line in journal::pending_lines(&shown) {
        crate::output::warn_even_if_quiet(&line);
    }
}
