//! `keyctl plan -f FILE`: the key file against the keys of each scope it names (one listing
//! read per profile), printed as actions and a summary; exit 0 in sync, [`plan::CHANGES`]
//! when there is anything to do, a failed read's code when one fails (the other scopes are
//! still planned and printed). The create journal's pending entries of each scope are read
//! (never closed): a key an earlier run's lost create made is planned as `adopt`.

use chrono::{DateTime, Utc};

use crate::cli::{OutputArg, PlanArgs};
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::journal::{Account, Journal, Reconciled};
use crate::key::Key;
use crate::keyfile::{KeyFile, Scope, Sink};
use crate::output::{self, Format, records::json_text};
use crate::plan::{self, Action, KeyPlan, Pending, ScopePlan, Summary};
use crate::provider::ProviderKind;
use crate::settings::Global;
use crate::text::sanitize;

pub async fn run(global: &Global, args: PlanArgs, cancel: &Cancel) -> Result<i32> {
    super::no_columns(global, "keyctl plan")?;
    if let Some(o @ (OutputArg::Table | OutputArg::Tsv)) = args.output {
        return Err(Error::usage(format!(
            "-o {}: keyctl plan prints its plan as text (the default) or as JSON Lines (-o json)",
            if o == OutputArg::Table {
                "table"
            } else {
                "tsv"
            }
        )));
    }
    let now = Utc::now();
    // Checked whole before anything is read: a bad file is exit 2 with FILE:LINE.
    let file = crate::keyfile::load_selected(&args.file, global, now)?;
    let plans = plan_file(global, &file, &[], now, cancel).await?;
    let sinks = check_sinks(&file, &plans);
    let mut code = plan::exit_code(&plans);
    if sinks.is_err() && (code == 0 || code == plan::CHANGES) {
        code = 2;
    }
    print(global, &plans, code);
    if let Err(e) = sinks {
        output::error(&e.to_string());
    }
    Ok(code)
}

/// The sink of every key the plans create or replace, checked (nothing created or run): each
/// one that cannot take its secret is exit 2 at `FILE:LINE`. `apply` calls it before it sends
/// anything.
pub fn check_sinks(file: &KeyFile, plans: &[ScopePlan]) -> Result<()> {
    let lines = plans
        .iter()
        .filter_map(|sp| sp.keys.as_ref().ok())
        .flatten()
        .filter(|k| matches!(k.action, Action::Create { .. } | Action::Replace { .. }))
        .filter_map(|k| k.line);
    crate::keyfile::check_sinks(file, lines)
}

/// The plan of every scope the file names, each from one listing read; a scope whose read
/// fails carries its error and the others are planned. Each scope's pending entries in the
/// create journal are reconciled with its listing (`ScopePlan::journal`, read only: nothing is
/// closed): a declared key a lost create made is marked to adopt, a name two keys answer to
/// is exit 2 for that key. `pending`: entries to match besides the journal's (tests). A signal
/// stops it (exit 128 + n).
pub async fn plan_file(
    global: &Global,
    file: &KeyFile,
    pending: &[Pending],
    now: DateTime<Utc>,
    cancel: &Cancel,
) -> Result<Vec<ScopePlan>> {
    let journal = open_journal();
    let mut plans = Vec::new();
    // Each scope's account resolved once; two scopes naming one account are exit 2.
    for r in plan::accounts::resolve(global, file, cancel).await? {
        let (scope, p) = (r.scope, r.p);
        if cancel.is_cancelled() {
            return Err(Error::Interrupted {
                sent: crate::error::Sent::Nothing,
            });
        }
        let mut found = Vec::new();
        let keys = match read_resolved(global, &scope, p, r.target, cancel).await {
            Err(e @ Error::Interrupted { .. }) => return Err(e),
            Err(e) => Err(e),
            Ok((account, current)) => {
                found = journalled(journal.as_ref(), &account, &current);
                let declared: Vec<_> = file.in_scope(&scope).collect();
                let given: Vec<Pending> = pending
                    .iter()
                    .filter(|e| e.scope == scope)
                    .cloned()
                    .collect();
                if given.is_empty() {
                    plan::diff_journalled(&scope, p, &declared, &current, &found, now)
                } else {
                    plan::diff(&scope, p, &declared, &current, &given, now)
                }
            }
        };
        plans.push(ScopePlan {
            scope,
            provider: p,
            keys,
            journal: found,
        });
    }
    Ok(plans)
}

/// The create journal, or None when there is no state folder (then no create was journalled
/// either).
fn open_journal() -> Option<Journal> {
    Journal::open().ok()
}

/// The journal's pending entries of `account` with what its listing says of each; a journal
/// that cannot be read is said as a warning and the plan goes on without it (a key a lost
/// create made is still found by its name, only not marked to adopt).
fn journalled(journal: Option<&Journal>, account: &Account, listing: &[Key]) -> Vec<Reconciled> {
    let Some(journal) = journal else {
        return Vec::new();
    };
    match journal.pending(account) {
        Ok(pending) if pending.is_empty() => Vec::new(),
        Ok(pending) => crate::journal::reconcile(&pending, listing),
        Err(e) => {
            output::warn(&format!(
                "{e} (planned without it: a key a lost create made is not marked to adopt)"
            ));
            Vec::new()
        }
    }
}

/// Every key of one scope (disabled ones too), in one listing.
pub async fn read_scope(
    global: &Global,
    scope: &Scope,
    p: ProviderKind,
    cancel: &Cancel,
) -> Result<Vec<Key>> {
    Ok(read_account(global, scope, p, cancel).await?.1)
}

/// The journal's account of one scope and its keys (disabled ones too), in one listing.
pub async fn read_account(
    global: &Global,
    scope: &Scope,
    p: ProviderKind,
    cancel: &Cancel,
) -> Result<(Account, Vec<Key>)> {
    let profile = scope.profile().and_then(|n| global.config.profile(n));
    let target = global.target_for(p, profile, cancel).await;
    read_resolved(global, scope, p, target, cancel).await
}

/// [`read_account`] with the scope's account already resolved ([`plan::accounts::resolve`]).
pub async fn read_resolved(
    global: &Global,
    scope: &Scope,
    p: ProviderKind,
    target: Result<crate::settings::Target>,
    cancel: &Cancel,
) -> Result<(Account, Vec<Key>)> {
    let profile = scope.profile().and_then(|n| global.config.profile(n));
    let target = target.map_err(|e| in_file_terms(e, scope, p, global))?;
    let session = super::open_with(global.wire_for(profile), target, cancel)
        .map_err(|e| in_file_terms(e, scope, p, global))?;
    let account = Account::new(scope.profile(), p, &session.base);
    Ok((account, session.list(true).await?))
}

/// A credential error of a `provider = "ID"` scope in the key file's words: where a command
/// line would try `-P NAME`, a key file names the profile (`profile = "NAME"`).
pub fn in_file_terms(e: Error, scope: &Scope, p: ProviderKind, global: &Global) -> Error {
    let (Scope::Provider(id), Error::Credential(msg)) = (scope, &e) else {
        return e;
    };
    let Some(at) = msg.find("; or try -P ") else {
        return e;
    };
    let names: Vec<String> = global
        .config
        .profiles
        .iter()
        .filter(|pr| pr.provider.kind() == p)
        .map(|pr| format!("profile = \"{}\"", sanitize(&pr.name)))
        .collect();
    if names.is_empty() {
        return e;
    }
    Error::Credential(format!(
        "{}; or, in the key file, write {} instead of provider = \"{}\" (a profile for {} in {})",
        &msg[..at],
        names.join(" or "),
        sanitize(id),
        p.info().name,
        global.config.describe()
    ))
}

fn print(global: &Global, plans: &[ScopePlan], code: i32) {
    let summary = Summary::of(plans);
    if global.view.format == Format::Json {
        let mut out = String::new();
        for sp in plans {
            match &sp.keys {
                Ok(keys) => {
                    for k in keys {
                        out.push_str(&json_text(&plan::key_json(&sp.scope, sp.provider, k)));
                        out.push('\n');
                    }
                }
                Err(e) => {
                    output::error(&format!("{}: {e}", sp.scope.describe()));
                    out.push_str(&json_text(&plan::scope_error_json(sp, e)));
                    out.push('\n');
                }
            }
        }
        out.push_str(&json_text(&plan::summary_json(&summary, code)));
        output::print_text(&out);
        return;
    }
    let ids = Ids::of(global, plans);
    let mut out = String::new();
    for sp in plans {
        let head = format!("{} ({})", sp.scope.describe(), sp.provider.info().name);
        match &sp.keys {
            Err(e) => {
                output::error(&format!("{}: {e}", sp.scope.describe()));
                let why = if e.exit_code() == 2 {
                    "not planned (see the error above)"
                } else {
                    "not read"
                };
                out.push_str(&format!("{head}: {why}\n"));
            }
            Ok(keys) => {
                let s = Summary::of(std::slice::from_ref(sp));
                out.push_str(&format!("{head}: {}\n", s.text()));
                for k in keys {
                    out.push_str(&key_text(&sp.scope, sp.provider, k, &ids));
                }
            }
        }
    }
    out.push_str(&format!("Plan: {}", summary.text()));
    out.push_str(match code {
        0 => " (in sync)\n",
        plan::CHANGES => " (exit 10: changes to apply)\n",
        _ => "\n",
    });
    output::print_text(&out);
}

/// One key's lines (none for an unchanged key): a sign, its name, the action, then each field
/// from → to. A key to adopt says so, with the command that gives it a secret.
fn key_text(scope: &Scope, p: ProviderKind, k: &KeyPlan, ids: &Ids) -> String {
    let name = k.name.as_deref().map_or("(no name)".into(), sanitize);
    let id = k
        .action
        .id()
        .map_or(String::new(), |i| format!(" {}", sanitize(ids.shown(i))));
    let (sign, what) = match &k.action {
        Action::Unchanged { .. } if k.adopt.is_some() => ("&", "adopt".to_string()),
        Action::Unchanged { .. } => return String::new(),
        Action::Create { .. } => ("+", "create".to_string()),
        Action::Update { .. } => ("~", "update".to_string()),
        Action::Replace { fields, .. } => (
            "-/+",
            format!(
                "replace ({} cannot change {} in place; apply --replace rotates the key)",
                p.info().name,
                fields.join(", ")
            ),
        ),
        Action::Unmanaged { .. } => ("?", "unmanaged (not in the file)".to_string()),
        Action::Invalid { error, .. } => ("!", format!("invalid: {error}")),
    };
    let adopt = k.adopt.as_ref().map_or(String::new(), |a| {
        let whole = k.action.id().map_or(String::new(), sanitize);
        let rotate = format!("keyctl rotate {} {whole}", scope.selector(p));
        format!(" ({})", plan::adopt_message(a, &rotate))
    });
    let mut out = format!("  {sign} {name}{id}: {what}{adopt}\n");
    let sink = match &k.action {
        Action::Create { sink, .. } | Action::Replace { sink, .. } => Some(destination(sink)),
        _ => None,
    };
    let width = k
        .drift
        .iter()
        .map(|d| d.field.len())
        .chain(sink.as_ref().map(|_| "secret".len()))
        .max()
        .unwrap_or(0);
    for d in &k.drift {
        let from = d.from.as_ref().map_or("?".to_string(), cell);
        let from = if matches!(k.action, Action::Create { .. }) {
            String::new()
        } else {
            format!("{from} ")
        };
        out.push_str(&format!(
            "      {:width$}  {from}→ {}\n",
            d.field,
            cell(&d.to)
        ));
    }
    if let Some(to) = sink {
        out.push_str(&format!("      {:width$}  → {to}\n", "secret"));
    }
    out
}

/// Where a new key's secret goes, as the plan shows it: the file as the key file resolves it,
/// the command's program, or stdout.
fn destination(sink: &Option<Sink>) -> String {
    match sink {
        None => "stdout".into(),
        Some(Sink::File(f)) => sanitize(&f.display().to_string()),
        Some(Sink::Command(argv)) => format!(
            "command {}",
            argv.first().map_or(String::new(), |p| sanitize(p))
        ),
    }
}

/// How ids are shown: whole, or (on a terminal too narrow for a key's line with its whole id,
/// without --wide) each one's shortest unique prefix, as the key tables do.
struct Ids {
    short: std::collections::HashMap<String, String>,
}

impl Ids {
    fn of(global: &Global, plans: &[ScopePlan]) -> Ids {
        let mut short = std::collections::HashMap::new();
        let Some(width) = output::terminal_width() else {
            return Ids { short };
        };
        if global.view.wide {
            return Ids { short };
        }
        let keys: Vec<&KeyPlan> = plans
            .iter()
            .filter_map(|sp| sp.keys.as_ref().ok())
            .flatten()
            .collect();
        // `  ~ NAME ID: update`: the longest such line with whole ids.
        let longest = keys
            .iter()
            .filter_map(|k| {
                let id = k.action.id()?.chars().count();
                let name = k.name.as_deref().map_or(9, |n| n.chars().count());
                Some(4 + name + 1 + id + 2 + k.word().len())
            })
            .max()
            .unwrap_or(0);
        if longest <= width {
            return Ids { short };
        }
        let names: std::collections::HashSet<&str> =
            keys.iter().filter_map(|k| k.name.as_deref()).collect();
        let all = keys.iter().filter_map(|k| k.action.id());
        for (id, s) in crate::output::columns::short_ids(all, &names) {
            short.insert(id.to_string(), s);
        }
        Ids { short }
    }

    fn shown<'a>(&'a self, id: &'a str) -> &'a str {
        self.short.get(id).map_or(id, String::as_str)
    }
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => sanitize(s),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|m| m.as_str().map_or_else(|| m.to_string(), sanitize))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}
