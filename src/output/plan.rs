//! The dry-run plan of a key as a person reads it (a heading, one line per changed field, the
//! request), and the one-line summary of a change a confirmation shows.

use super::columns;
use super::json::json_line;
use crate::key::FieldChange;
use crate::outcome::{KeyResult, Outcome};
use crate::request::Request;
use crate::text::sanitize;

/// The dry-run plan of one key: a heading (provider, id, name), one line per changed field
/// `limit  100 → 125` (`?` where the state before was not read), the request only with `-v`.
pub fn plan_text(r: &KeyResult, verbose: bool) -> String {
    let mut s = heading(r);
    let changes = r.outcome.changes();
    let (method, notes) = match &r.outcome {
        Outcome::DryRun { req, notes, .. } => (Some(req.method), notes.as_slice()),
        _ => (None, &[][..]),
    };
    let create = method == Some(crate::request::Method::Post);
    if method == Some(crate::request::Method::Delete) {
        s.push_str("\n  revoke: the key stops working at once; this cannot be undone");
    } else if changes.is_empty() && !create {
        s.push_str("\n  (no field changes)");
    }
    let width = changes.iter().map(|c| c.field.len()).max().unwrap_or(0);
    for c in changes {
        let (from, to) = columns::change_ends(c);
        if create && c.from.is_none() {
            s.push_str(&format!("\n  {:width$}  {to}", c.field));
        } else {
            s.push_str(&format!("\n  {:width$}  {from} → {to}", c.field));
        }
    }
    // A create's plan is its request: shown always.
    if let (true, Outcome::DryRun { req, .. }) = (verbose || create, &r.outcome) {
        s.push('\n');
        s.push_str(&request_text(req, "  "));
    }
    for n in notes {
        s.push_str(&format!("\n  {}", sanitize(n)));
    }
    s
}

/// A request that is not sent, as `-v` shows it: method and URL, headers (credential as
/// `****`), the body on one line; each line starts with `prefix`.
pub(super) fn request_text(req: &Request, prefix: &str) -> String {
    let mut s = format!("{prefix}{} {}", req.method.as_str(), req.url);
    for (k, v) in req.redacted_headers() {
        s.push_str(&format!("\n{prefix}{k}: {v}"));
    }
    if let Some(b) = &req.body {
        s.push_str(&format!("\n{prefix}{}", json_line(b)));
    }
    s
}

/// `ModelGates key f01d…943 "ci-runner":` (the id whole, so it can be pasted back).
fn heading(r: &KeyResult) -> String {
    // The key as it is now (a plan's `before`), else as shown.
    let shown = match &r.outcome {
        Outcome::DryRun {
            before: Some(b), ..
        } => Some(&**b),
        o => o.key(),
    };
    let name = shown
        .and_then(|k| k.name.value().cloned())
        .map(|n| format!(" \"{}\"", sanitize(&n)))
        .unwrap_or_default();
    if r.key.is_empty() {
        // A key still to be created has no id.
        return format!("{}: new key{name}:", r.provider);
    }
    format!("{} key {}{name}:", r.provider, sanitize(&r.key))
}

/// The summary of a change before a confirmation: `limit → 125, disabled → true`.
pub fn change_summary(changes: &[FieldChange]) -> String {
    changes
        .iter()
        .map(|c| format!("{} → {}", c.field, columns::change_ends(c).1))
        .collect::<Vec<_>>()
        .join(", ")
}
