//! `keyctl revoke`: gather the keys (arguments, `--from-file`, `--match`), read each one and
//! show what will be deleted, ask on a terminal (refuse without one unless `--yes`), then
//! delete them through the runner. A key already gone is `not_found` (exit 4).

use std::collections::HashMap;
use std::sync::Arc;

use super::report::Reporter;
use super::runner::{KeyJob, Runner, Tally, outcome_of};
use crate::cli::{Batch, KeySelection, RevokeArgs};
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::key::{Key, Known};
use crate::outcome::{Mode, Outcome};
use crate::output;
use crate::provider::ProviderKind;
use crate::session::Session;
use crate::settings::{self, Global};

/// Keys listed before the question (the rest are counted).
const PREVIEW: usize = 20;

pub async fn run(global: &Global, args: RevokeArgs, cancel: &Cancel) -> Result<i32> {
    let RevokeArgs {
        select:
            KeySelection {
                keys,
                from_file,
                match_glob,
            },
        yes,
        dry_run,
        batch: Batch {
            concurrency,
            max_failures,
        },
    } = args;
    settings::check_stdin(from_file.as_deref(), global)?;
    // Without a person to ask, deleting needs --yes: checked before anything is read.
    if !yes && !dry_run && !crate::env::interactive() {
        return Err(Error::usage(
            "keyctl revoke deletes keys for good and there is no terminal to ask on: add --yes \
             (or --dry-run to see the keys first); nothing was read or deleted",
        ));
    }
    let target = global.target(cancel).await?;
    let refs = super::keys::gather(keys, from_file.as_deref(), cancel).await?;
    let p = target.p;
    let s = Arc::new(super::open(global, target, cancel)?);
    let keys =
        super::keys::resolve_in(&s, refs, match_glob.as_deref(), "nothing was deleted").await?;
    let base = &s.base;
    super::keys::check_keys(&keys, "nothing was deleted", |k| {
        p.build_delete(base, k).map(drop)
    })?;
    if keys.is_empty() {
        output::warn("no key to revoke (--match selected none)");
        return Ok(0);
    }
    s.prefer_listing(keys.len(), cancel).await;
    let reads = read_all(&s, &keys, global.concurrency(concurrency), cancel).await;
    if cancel.is_cancelled() {
        return Err(Error::Interrupted {
            sent: crate::error::Sent::Nothing,
        });
    }
    let found = reads.values().filter(|r| r.is_ok()).count();
    if !yes && !dry_run && found > 0 {
        confirm(p, &keys, &reads, found, cancel).await?;
    }
    let mut report = Reporter::writing(global, Mode::Revoke, !dry_run);
    let job = Revoke {
        p,
        s,
        reads,
        dry_run,
    };
    let runner = Runner {
        job: Arc::new(job),
        cancel: cancel.clone(),
        max_failures: max_failures as usize,
    };
    let tally: Tally = runner
        .run(keys, global.concurrency(concurrency), &mut report)
        .await;
    report.finish();
    Ok(tally.report(p, if dry_run { "would revoke" } else { "revoked" }, cancel))
}

/// Reads every key (at most `concurrency` at once): the state shown before the question and
/// in the results.
async fn read_all(
    s: &Arc<Session>,
    keys: &[String],
    concurrency: usize,
    cancel: &Cancel,
) -> HashMap<String, Result<Key>> {
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for k in keys {
        let (s, sem, k, cancel) = (s.clone(), sem.clone(), k.clone(), cancel.clone());
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await;
            if cancel.is_cancelled() {
                return (
                    k,
                    Err(Error::Interrupted {
                        sent: crate::error::Sent::Nothing,
                    }),
                );
            }
            let r = s.read(&k).await;
            (k, r)
        });
    }
    let mut out = HashMap::with_capacity(keys.len());
    while let Some(r) = tasks.join_next().await {
        if let Ok((k, r)) = r {
            out.insert(k, r);
        }
    }
    out
}

/// Lists what will be deleted (name, limit, last used) on stderr and asks; a no is exit 2.
async fn confirm(
    p: ProviderKind,
    keys: &[String],
    reads: &HashMap<String, Result<Key>>,
    found: usize,
    cancel: &Cancel,
) -> Result<()> {
    output::tell(&format!(
        "{p}: about to revoke {found} key(s); they stop working at once and this cannot be undone:"
    ));
    let mut shown = 0;
    for k in keys {
        let Some(Ok(key)) = reads.get(k) else {
            continue;
        };
        if shown == PREVIEW {
            output::tell(&format!("  ... and {} more", found - PREVIEW));
            break;
        }
        shown += 1;
        output::tell(&format!("  {}", describe(key)));
    }
    let missing = keys.len() - found;
    if missing > 0 {
        output::tell(&format!(
            "  ({missing} key(s) could not be read and will not be revoked: see below)"
        ));
    }
    if crate::input::confirm(&format!("Revoke {found} key(s)?"), cancel).await? {
        Ok(())
    } else {
        Err(Error::usage(
            "not confirmed; nothing was deleted (--dry-run shows the keys, --yes skips this question)",
        ))
    }
}

/// `ID "name"  (limit 50, usage 3, last used 2026-11-20T…)` for the question.
fn describe(k: &Key) -> String {
    let mut s = crate::text::sanitize(&k.id);
    if let Known::Value(n) = &k.name {
        s.push_str(&format!(" \"{}\"", crate::text::sanitize(n)));
    }
    let facts = facts(k);
    if !facts.is_empty() {
        s.push_str(&format!("  ({facts})"));
    }
    s
}

/// What a person checks before deleting a key: `limit 50, usage 3, last used …, expires never`.
fn facts(k: &Key) -> String {
    use crate::output::columns::field_cell;
    let mut facts = Vec::new();
    for f in ["limit", "usage", "last_used", "expires"] {
        if let Some(v) = k.field(f) {
            let cell = field_cell(f, &v);
            if !cell.is_empty() {
                facts.push(format!("{} {cell}", f.replace('_', " ")));
            }
        }
    }
    facts.join(", ")
}

/// The per-key job: report a key that could not be read, else delete it.
struct Revoke {
    p: ProviderKind,
    s: Arc<Session>,
    reads: HashMap<String, Result<Key>>,
    dry_run: bool,
}

impl KeyJob for Revoke {
    fn provider(&self) -> ProviderKind {
        self.p
    }

    async fn run(&self, key: String) -> Outcome {
        let before = match self.reads.get(&key) {
            Some(Ok(k)) => k.clone(),
            Some(Err(e @ Error::NotFound { .. })) => return Outcome::NotFound(e.clone()),
            Some(Err(Error::Interrupted { .. })) | None => return Outcome::NotAttempted,
            Some(Err(e)) => return Outcome::Failed(e.clone()),
        };
        crate::audit::note_name(&key, &before);
        let req = match self.p.build_delete(&self.s.base, &key) {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(e),
        };
        if self.dry_run {
            let notes = [facts(&before)]
                .into_iter()
                .filter(|f| !f.is_empty())
                .collect();
            return Outcome::DryRun {
                before: Some(Box::new(before.clone())),
                after: Box::new(before),
                changes: Vec::new(),
                req: Box::new(req),
                notes,
            };
        }
        match self.s.send(&req).await {
            Ok(body) => match self.p.adapter().parse_delete(self.p.info(), &body) {
                Ok(()) => Outcome::Revoked {
                    before: Some(Box::new(before)),
                    req: Box::new(req),
                },
                Err(e) => Outcome::Failed(e),
            },
            // Gone between the read and the delete (another run, the dashboard).
            Err(e @ Error::NotFound { .. }) => Outcome::NotFound(e),
            Err(e) => outcome_of(e),
        }
    }
}
