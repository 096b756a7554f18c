//! `keyctl log`: the audit trail of writes, filtered (`--since`, `--key`, `-p`, `-P`), as a
//! table, TSV or the stored JSON lines.

use std::path::Path;

use serde_json::Value;

use crate::audit::{self, Filter};
use crate::error::{Error, Result};
use crate::output::records::{self, Records};
use crate::output::{self, Format, View, columns};
use crate::text::sanitize;

/// The columns of the table and TSV, in order.
const HEADERS: [&str; 8] = [
    "time", "profile", "provider", "key", "action", "status", "changes", "http",
];

/// Prints the entries of the trail at `path` that pass `filter`; `enabled` only adds to the
/// message when there is no trail yet. Exit 0 (no trail yet included).
pub fn run(view: &View, path: Option<&Path>, enabled: bool, filter: Filter) -> Result<i32> {
    let path = path.ok_or_else(|| {
        Error::usage(
            "cannot locate the audit trail: neither XDG_STATE_HOME (an absolute path) nor HOME \
             is set; set one of them",
        )
    })?;
    let shown = sanitize(&path.display().to_string());
    let (entries, damaged) = match audit::read(path, &filter) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            output::diag(&format!(
                "no audit trail yet at {shown}{}",
                off_note(enabled)
            ));
            return Ok(0);
        }
        Err(e) => return Err(unreadable(&shown, &e)),
    };
    if damaged > 0 {
        output::warn(&format!(
            "{shown}: skipped {damaged} damaged line(s) (not a JSON object: cut short by a \
             crash, or edited)"
        ));
    }
    records::print(view, &to_records(view.format, entries));
    Ok(0)
}

/// What the "no trail yet" message adds when auditing is off.
fn off_note(enabled: bool) -> &'static str {
    if enabled {
        ""
    } else {
        " (auditing is off: KEYCTL_AUDIT / audit = false)"
    }
}

/// The error for a trail that exists but cannot be read.
fn unreadable(shown: &str, e: &std::io::Error) -> Error {
    Error::usage(format!(
        "cannot read the audit trail {shown}: {}; check that it is a file you own and can read \
         (chmod 600), or point XDG_STATE_HOME elsewhere",
        sanitize(&e.to_string())
    ))
}

/// The entries as records: the stored JSON for `-o json`, cells for the table and TSV.
fn to_records(format: Format, entries: Vec<Value>) -> Records {
    let rows = match format {
        Format::Json => Vec::new(),
        _ => entries.iter().map(row).collect(),
    };
    Records {
        headers: HEADERS.to_vec(),
        rows,
        json: entries,
    }
}

/// One entry's cells, in [`HEADERS`] order; a missing or null field is an empty cell.
fn row(e: &Value) -> Vec<String> {
    let s = |name: &str| match e.get(name) {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    vec![
        s("time"),
        s("profile"),
        s("provider"),
        s("key"),
        s("action"),
        s("status"),
        changes_text(e),
        s("http_status"),
    ]
}

/// `limit 10 → 50; reset daily → monthly`; a create's settings as `name ci-runner`, an update
/// not read first as `limit ? → 50`; a rotation's new key and the step on the old one.
pub fn changes_text(e: &Value) -> String {
    let create = e.get("action").and_then(Value::as_str) == Some("create");
    let mut parts: Vec<String> = e
        .get("changes")
        .and_then(Value::as_array)
        .map(|c| c.iter().filter_map(|c| change_text(c, create)).collect())
        .unwrap_or_default();
    if e.get("action").and_then(Value::as_str) == Some("rotate") {
        parts.extend(rotation_text(e));
    }
    parts.join("; ")
}

/// One change object as `field from → to` (`field to` for a create).
fn change_text(c: &Value, create: bool) -> Option<String> {
    let field = c.get("field")?.as_str()?;
    let cell = |v: &Value| {
        let s = columns::field_cell(field, v);
        if s.is_empty() { "-".to_string() } else { s }
    };
    let to = cell(c.get("to")?);
    Some(match (c.get("from"), create) {
        (None, true) => format!("{field} {to}"),
        (None, false) => format!("{field} ? → {to}"),
        (Some(from), _) => format!("{field} {} → {to}", cell(from)),
    })
}

/// A rotation's `new key ID` and `old key revoked` (or `old key revoke failed`).
fn rotation_text(e: &Value) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(id) = e.get("new_key").and_then(Value::as_str) {
        parts.push(format!("new key {id}"));
    }
    if let Some(old) = e.get("old_key") {
        let action = old.get("action").and_then(Value::as_str).unwrap_or("?");
        let done = old.get("done").and_then(Value::as_bool).unwrap_or(false);
        parts.push(format!(
            "old key {action}{}",
            if done { "" } else { " (failed)" }
        ));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_read_as_before_and_after() {
        let e = json!({"action": "update", "changes": [
            {"field": "limit", "from": 10, "to": 50},
            {"field": "reset", "from": "daily", "to": "monthly"},
            {"field": "expires", "to": null},
        ]});
        assert_eq!(
            changes_text(&e),
            "limit 10 → 50; reset daily → monthly; expires ? → never"
        );
        let e = json!({"action": "create", "changes": [{"field": "name", "to": "ci"}]});
        assert_eq!(changes_text(&e), "name ci");
        let e = json!({"action": "rotate", "changes": [], "new_key": "n1",
                       "old_key": {"action": "revoked", "done": false}});
        assert_eq!(changes_text(&e), "new key n1; old key revoked (failed)");
    }

    #[test]
    fn rows_have_every_column() {
        let e = json!({"time": "t", "profile": null, "provider": "venice", "key": "k",
                       "action": "revoke", "status": "revoked", "changes": [],
                       "http_status": 204});
        assert_eq!(
            row(&e),
            ["t", "", "venice", "k", "revoke", "revoked", "", "204"]
        );
    }
}
