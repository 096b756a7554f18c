//! The audit trail: one JSON line per key written by update, create, revoke and rotate.
//!
//! Lines go to `$XDG_STATE_HOME/keyctl/audit.jsonl` (directory 0700, file 0600: an existing one
//! of the user's is made so, another's that is open to others is warned about), appended under
//! an exclusive file lock with one `write_all` each, so lines from concurrent runs never
//! interleave; a line torn by a crash is ended before the next one is written, so it costs a
//! reader one damaged line, not two. The trail is neither written nor read through a `keyctl`
//! folder that is a symbolic link. A line never holds the credential (every string is masked)
//! nor a new key's secret (never put in). `KEYCTL_AUDIT=off` or `audit = false` turns it off.
//! Each line also says who wrote it ([`Who`]: the key's name when known, the local user and
//! host, and the command line's arguments, masked and bounded).
//!
//! The reader streams: [`open`] notes the file's length under the lock and lets go, then
//! [`Opened::entries`] reads up to that length line by line, each line at most [`MAX_LINE`]
//! bytes, as often as a caller needs (a table is read twice).

pub(crate) mod file;
#[cfg(test)]
mod fixtures;
mod notes;
mod read;
mod who;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::key::{CHANGE_FIELDS, FieldChange, Key};
use crate::output::{KeyResult, Mode, Outcome};

use file::append;
pub use file::{LinkedFolder, is_linked_folder};
pub use notes::{note_name, note_status};
use notes::{noted_name, take_status};
pub use read::{
    Entries, Filter, MAX_LINE, Opened, RECORDED_ACTIONS, RECORDED_STATUSES, Skipped, open,
    parse_since,
};
pub use who::{MAX_ARG_CHARS, MAX_ARGS, Who};

/// The environment variable that turns the trail on or off.
pub const ENV: &str = "KEYCTL_AUDIT";

/// The trail's file: `$XDG_STATE_HOME/keyctl/audit.jsonl` when XDG_STATE_HOME is set, non-empty
/// and absolute; else `$HOME/.local/state/keyctl/audit.jsonl`; None without HOME.
pub fn default_path() -> Option<PathBuf> {
    let state = crate::env::get().state_home()?;
    Some(state.join("keyctl").join("audit.jsonl"))
}

/// Whether to audit: `KEYCTL_AUDIT` (off/0/false/no, on/1/true/yes, any case) wins over the
/// config file's `audit`; on by default. Another value of the variable is a usage error.
pub fn enabled(config: Option<bool>) -> Result<bool, String> {
    enabled_from(crate::env::get().audit().as_deref(), config)
}

/// [`enabled`] from the variable's value (None: not set; empty counts as not set).
pub fn enabled_from(var: Option<&str>, config: Option<bool>) -> Result<bool, String> {
    let var = var.map(str::trim).filter(|v| !v.is_empty());
    match var.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(config.unwrap_or(true)),
        Some("off" | "0" | "false" | "no") => Ok(false),
        Some("on" | "1" | "true" | "yes") => Ok(true),
        Some(_) => Err(format!(
            "{ENV} must be on or off (also 1/0, true/false, yes/no), not {:?}",
            crate::text::truncate(var.unwrap_or_default(), 40)
        )),
    }
}

/// The trail of one run: where it is written, the run's id, the profile used and who ran it.
#[derive(Debug, Clone)]
pub struct Trail {
    path: PathBuf,
    run: String,
    profile: Option<String>,
    who: Arc<Who>,
}

impl Trail {
    /// A trail writing to `path`; the run id is this process's random UUID v4 (the one the
    /// JSON output carries, so output lines and audit lines of a run can be matched).
    pub fn new(path: PathBuf, profile: Option<String>) -> Trail {
        Trail {
            path,
            run: crate::output::run_id().to_string(),
            profile,
            who: Arc::new(Who::of_this_run()),
        }
    }

    pub fn run_id(&self) -> &str {
        &self.run
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the line for one key's result of a write command; Ok(false) when the outcome
    /// is not a write (dry run, unchanged, not attempted, read) or `mode` is not a write mode.
    pub fn record(&self, r: &KeyResult, mode: Mode) -> Result<bool, String> {
        let Some(action) = action(mode).filter(|_| is_write(&r.outcome)) else {
            return Ok(false);
        };
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let status = r
            .outcome
            .error()
            .and_then(|e| e.http_status())
            .or_else(|| take_status(&[&r.key, new_key(&r.outcome).unwrap_or_default(), ""]));
        let v = entry(r, action, &self.head(now), status, &self.who);
        let line = serde_json::to_string(&v).map_err(|e| format!("audit line: {e}"))? + "\n";
        append(&self.path, line.as_bytes()).map_err(|e| {
            let next = if is_linked_folder(&e) {
                "make it a real folder (move what it points to into its place)"
            } else {
                "check that its directory is writable"
            };
            format!(
                "could not write the audit trail {}: {e}; {next}, or set {ENV}=off",
                crate::text::sanitize(&self.path.display().to_string())
            )
        })?;
        Ok(true)
    }

    /// The fields every line starts with: time, run and profile.
    fn head(&self, time: String) -> Head {
        Head {
            time,
            run: self.run.clone(),
            profile: self.profile.clone(),
        }
    }
}

/// The first fields of a line.
struct Head {
    time: String,
    run: String,
    profile: Option<String>,
}

/// The action a write mode records; None for a read mode.
fn action(mode: Mode) -> Option<&'static str> {
    match mode {
        Mode::Update => Some("update"),
        Mode::Create => Some("create"),
        Mode::Revoke => Some("revoke"),
        Mode::Rotate => Some("rotate"),
        // apply records each key as the write it is (`Reporter::account`).
        Mode::Apply => Some("apply"),
        Mode::Get | Mode::List => None,
    }
}

/// Whether an outcome is a write that was made or attempted.
fn is_write(o: &Outcome) -> bool {
    match o {
        Outcome::Updated { .. }
        | Outcome::Created { .. }
        | Outcome::Revoked { .. }
        | Outcome::Rotated { .. }
        | Outcome::Adopted { .. }
        | Outcome::Failed(_)
        | Outcome::Unknown(_)
        | Outcome::NotFound(_) => true,
        Outcome::DryRun { .. }
        | Outcome::Unchanged { .. }
        | Outcome::Shown(_)
        | Outcome::NotAttempted => false,
    }
}

/// The id of the key a create or a rotation made.
fn new_key(o: &Outcome) -> Option<&str> {
    match o {
        Outcome::Created { after, .. }
        | Outcome::Rotated { after, .. }
        | Outcome::Adopted { after, .. } => Some(after.id.as_str()).filter(|id| !id.is_empty()),
        _ => None,
    }
}

/// The key's name, when known: from the outcome's views of the key (for a create or a
/// rotation the new key's, for a revoke the one read before deleting), else as noted by
/// [`note_name`] when it was read.
fn key_name(r: &KeyResult) -> Option<String> {
    let views: [Option<&Key>; 2] = match &r.outcome {
        Outcome::Updated { before, after, .. } => [Some(after), before.as_deref()],
        Outcome::Created { after, .. } | Outcome::Adopted { after, .. } => [Some(after), None],
        Outcome::Revoked { before, .. } => [before.as_deref(), None],
        Outcome::Rotated { before, after, .. } => [Some(after), Some(before)],
        _ => [None, None],
    };
    views
        .into_iter()
        .flatten()
        .find_map(|k| k.name.value().cloned().filter(|n| !n.is_empty()))
        .or_else(|| noted_name(&r.key))
}

/// One line's object, every string masked: never the secret of a new key (not put in) nor
/// the credential (masked), nor a token shaped like a key's secret (a secret pasted as a name).
fn entry(r: &KeyResult, action: &str, head: &Head, http_status: Option<u16>, who: &Who) -> Value {
    let mut o = Map::new();
    o.insert("time".into(), json!(head.time));
    o.insert("run".into(), json!(head.run));
    o.insert("profile".into(), json!(head.profile));
    o.insert("provider".into(), json!(r.provider.info().id));
    let key = match &r.outcome {
        Outcome::Created { .. } | Outcome::Adopted { .. } => new_key(&r.outcome).unwrap_or(&r.key),
        _ => &r.key,
    };
    o.insert("key".into(), json!(key));
    o.insert("name".into(), json!(key_name(r)));
    o.insert("action".into(), json!(action));
    o.insert("status".into(), json!(r.outcome.status()));
    o.insert("changes".into(), changes(&r.outcome));
    o.insert("http_status".into(), json!(http_status));
    if let Some(id) = new_key(&r.outcome) {
        o.insert("new_key".into(), json!(id));
    }
    if let Outcome::Rotated { old, error, .. } = &r.outcome {
        // As the JSON output has it.
        o.insert(
            "old_key".into(),
            json!({"action": old, "done": error.is_none()}),
        );
    }
    if let Some(e) = r.outcome.error() {
        o.insert("error".into(), json!(e.to_string()));
    }
    o.insert("user".into(), json!(who.user));
    o.insert("host".into(), json!(who.host));
    o.insert("argv".into(), json!(who.argv()));
    let mut v = Value::Object(o);
    crate::mask::mask_json(&mut v);
    mask_key_like_json(&mut v);
    v
}

/// Masks every token shaped like a key's secret in the strings of `v` (see
/// [`crate::mask::mask_key_like`]); key ids are not shaped so.
fn mask_key_like_json(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(m) = crate::mask::mask_key_like(s) {
                *s = m;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask_key_like_json),
        Value::Object(o) => o.values_mut().for_each(mask_key_like_json),
        _ => {}
    }
}

/// The changes of a write: an update's fields (before → after), a created key's settings
/// (`{field, to}`), none for the rest.
fn changes(o: &Outcome) -> Value {
    let list: Vec<FieldChange> = match o {
        Outcome::Updated { changes, .. } => changes.clone(),
        Outcome::Created { after, .. } => created_fields(after),
        _ => Vec::new(),
    };
    Value::Array(list.iter().map(FieldChange::to_json).collect())
}

/// A new key's known settings, as changes from nothing.
fn created_fields(k: &Key) -> Vec<FieldChange> {
    crate::key::changes(None, k, &CHANGE_FIELDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fixtures::{created, lines, read, req, updated};
    use crate::error::Error;
    use crate::key::Known;
    use crate::key::Unit;
    use crate::output::NewSecret;
    use crate::provider::ProviderKind;
    use chrono::DateTime;

    #[test]
    fn the_variable_wins_over_the_config() {
        assert_eq!(enabled_from(None, None), Ok(true));
        assert_eq!(enabled_from(None, Some(false)), Ok(false));
        assert_eq!(enabled_from(Some(""), Some(false)), Ok(false));
        for off in ["off", " OFF ", "0", "False", "no"] {
            assert_eq!(enabled_from(Some(off), Some(true)), Ok(false), "{off}");
        }
        for on in ["on", "1", "TRUE", "Yes\n"] {
            assert_eq!(enabled_from(Some(on), Some(false)), Ok(true), "{on}");
        }
        let e = enabled_from(Some("maybe"), None).unwrap_err();
        assert!(e.contains("KEYCTL_AUDIT") && e.contains("maybe"), "{e}");
    }

    #[test]
    fn an_update_line_has_its_fields_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), Some("venice-prod".into()));
        note_status("audit-upd-1", 200);
        assert!(t.record(&updated("audit-upd-1"), Mode::Update).unwrap());
        let v = lines(t.path());
        let o = v[0].as_object().unwrap();
        let keys: Vec<&str> = o.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "time",
                "run",
                "profile",
                "provider",
                "key",
                "name",
                "action",
                "status",
                "changes",
                "http_status",
                "user",
                "host",
                "argv"
            ]
        );
        assert_eq!(o["name"], Value::Null);
        assert_eq!(o["argv"][0], json!("keyctl"));
        assert!(!o["user"].as_str().unwrap().is_empty());
        assert_eq!(o["run"], json!(t.run_id()));
        assert_eq!(o["profile"], json!("venice-prod"));
        assert_eq!(o["action"], json!("update"));
        assert_eq!(o["status"], json!("updated"));
        assert_eq!(o["http_status"], json!(200));
        assert_eq!(
            o["changes"],
            json!([{"field": "limit", "from": 10, "to": 50}])
        );
        assert!(DateTime::parse_from_rfc3339(o["time"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn reads_dry_runs_and_unattempted_keys_are_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        let shown = KeyResult {
            provider: ProviderKind::Venice,
            key: "k".into(),
            outcome: Outcome::Shown(Box::new(Key::unread("venice", "k", Unit::Usd))),
        };
        assert!(!t.record(&shown, Mode::Get).unwrap());
        let skip = KeyResult {
            provider: ProviderKind::Venice,
            key: "k".into(),
            outcome: Outcome::NotAttempted,
        };
        assert!(!t.record(&skip, Mode::Update).unwrap());
        let failed_read = KeyResult {
            provider: ProviderKind::Venice,
            key: "k".into(),
            outcome: Outcome::Failed(Error::usage("boom")),
        };
        assert!(!t.record(&failed_read, Mode::List).unwrap());
        assert!(!t.path().exists());
        assert!(t.record(&failed_read, Mode::Update).unwrap());
        let v = lines(t.path());
        assert_eq!(v[0]["status"], json!("failed"));
        assert_eq!(v[0]["error"], json!("boom"));
        assert_eq!(v[0]["http_status"], Value::Null);
    }

    #[test]
    fn a_rotation_names_both_keys_and_the_old_keys_step() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        let before = Key::unread("venice", "old-1", Unit::Usd);
        let after = Key::unread("venice", "new-1", Unit::Usd);
        let r = KeyResult {
            provider: ProviderKind::Venice,
            key: "old-1".into(),
            outcome: Outcome::Rotated {
                before: Box::new(before),
                after: Box::new(after),
                secret: NewSecret::File("/tmp/x".into()),
                old: "revoked".into(),
                error: Some(Error::Provider {
                    provider: "Venice",
                    status: Some(503),
                    message: "down".into(),
                }),
            },
        };
        assert!(t.record(&r, Mode::Rotate).unwrap());
        let v = lines(t.path());
        assert_eq!(v[0]["status"], json!("partial"));
        assert_eq!(v[0]["new_key"], json!("new-1"));
        assert_eq!(v[0]["old_key"], json!({"action": "revoked", "done": false}));
        assert_eq!(v[0]["http_status"], json!(503));
        assert_eq!(v[0]["error"], json!("Venice: down"));
        let only_new = Filter {
            key: Some("new-1".into()),
            ..Filter::default()
        };
        assert_eq!(read(t.path(), &only_new).unwrap().0.len(), 1);
    }

    #[test]
    fn neither_the_credential_nor_a_new_secret_is_recorded() {
        let cred = "sk-or-v1-audit7c2e9d4b1a6f3e8c5d2b9a4f7e1c3d6b8a5f2e9c";
        let secret = "sk-or-v1-newkey3f8a1c6e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f";
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        // The secret tests replace the process's credential while they run: if that happened
        // between registering and recording, the credential is not masked anywhere (not a leak
        // of the trail): try again.
        for attempt in 0..50 {
            let admin = crate::credential::Secret::parse(cred, "TEST")
                .unwrap()
                .unwrap();
            crate::mask::register(&admin);
            crate::mask::register_new(secret);
            let mut r = created("audit-new-1", secret);
            r.outcome = match r.outcome {
                Outcome::Created {
                    mut after,
                    secret,
                    req,
                    error,
                } => {
                    after.name = Known::Value(format!("named {cred}"));
                    Outcome::Created {
                        after,
                        secret,
                        req,
                        error,
                    }
                }
                o => o,
            };
            assert!(t.record(&r, Mode::Create).unwrap());
            let failed = KeyResult {
                provider: ProviderKind::OpenRouter,
                key: "audit-new-2".into(),
                outcome: Outcome::Failed(Error::Rejected {
                    provider: "OpenRouter",
                    status: 400,
                    message: format!("bad key {cred}"),
                }),
            };
            assert!(t.record(&failed, Mode::Create).unwrap());
            let text = std::fs::read_to_string(t.path()).unwrap();
            assert!(!text.contains(secret), "{text}");
            assert!(!text.contains("newkey3f8a1c6e"), "{text}");
            if !text.contains(&cred[9..]) && !text.contains(&cred[20..28]) {
                assert!(text.contains("****"), "{text}");
                return;
            }
            assert_eq!(
                crate::mask::mask(cred),
                cred,
                "leaked on attempt {attempt}: {text}"
            );
            std::fs::remove_file(t.path()).unwrap();
        }
        panic!("the credential never stayed registered");
    }

    #[test]
    fn a_create_records_the_new_keys_settings() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        assert!(
            t.record(&created("audit-cr-1", "s3cr3t-value-x"), Mode::Create)
                .unwrap()
        );
        let v = lines(t.path());
        assert_eq!(v[0]["key"], json!("audit-cr-1"));
        assert_eq!(v[0]["new_key"], json!("audit-cr-1"));
        assert_eq!(
            v[0]["changes"],
            json!([{"field": "name", "to": "ci-runner"}, {"field": "limit", "to": 25}])
        );
    }

    #[test]
    fn a_revoke_line_names_the_key_read_before_it_failed() {
        let dir = tempfile::tempdir().unwrap();
        let t = Trail::new(dir.path().join("a.jsonl"), None);
        let mut read = Key::unread("venice", "audit-rev-1", Unit::Usd);
        read.name = Known::Value("ci-deploy".into());
        note_name("audit-rev-1", &read);
        let failed = KeyResult {
            provider: ProviderKind::Venice,
            key: "audit-rev-1".into(),
            outcome: Outcome::Failed(Error::usage("boom")),
        };
        assert!(t.record(&failed, Mode::Revoke).unwrap());
        let revoked = KeyResult {
            provider: ProviderKind::Venice,
            key: "audit-rev-2".into(),
            outcome: Outcome::Revoked {
                before: Some(Box::new(read.clone())),
                req: req(),
            },
        };
        assert!(t.record(&revoked, Mode::Revoke).unwrap());
        let v = lines(t.path());
        assert_eq!(v[0]["name"], json!("ci-deploy"));
        assert_eq!(v[1]["name"], json!("ci-deploy"));
    }
}
