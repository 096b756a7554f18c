//! The columns of key tables and TSV (name, header, how important, how a cell is made), TSV
//! lines and the `field: value` form of one key; the key table itself (`key_table`, fitted by
//! `fit`) is re-exported here.

use serde_json::Value;

pub use super::key_table::{IdForm, SHORT_ID, short_ids, table, table_with};
use super::{Format, KeyResult, Mode, Outcome};
use crate::text::sanitize;

/// One column: `--columns` name, header, importance (the lowest is dropped first to fit a
/// terminal; ids and statuses never are), and its cell (`""` when not known).
pub struct Column {
    pub name: &'static str,
    pub header: &'static str,
    pub priority: u8,
    pub cell: fn(&KeyResult) -> String,
}

impl std::fmt::Debug for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// A key field's cell, by its `Key::field` name.
fn field(r: &KeyResult, name: &str) -> String {
    r.outcome
        .key()
        .and_then(|k| k.field(name))
        .map_or_else(String::new, |v| field_cell(name, &v))
}

macro_rules! field_column {
    ($name:literal, $header:literal, $priority:literal) => {
        Column {
            name: $name,
            header: $header,
            priority: $priority,
            cell: |r| field(r, $name),
        }
    };
}

/// Every column, in the order tables show them.
pub static COLUMNS: [Column; 23] = [
    Column {
        name: "id",
        header: "ID",
        priority: 100,
        cell: |r| sanitize(r.outcome.key().map_or(&r.key, |k| &k.id)),
    },
    Column {
        name: "old_id",
        header: "OLD ID",
        priority: 98,
        cell: |r| match r.outcome {
            Outcome::Rotated { .. } => sanitize(&r.key),
            _ => String::new(),
        },
    },
    Column {
        name: "secret",
        header: "SECRET",
        priority: 97,
        cell: secret_cell,
    },
    field_column!("name", "NAME", 90),
    Column {
        name: "status",
        header: "STATUS",
        priority: 99,
        cell: status_cell,
    },
    Column {
        name: "changes",
        header: "CHANGES",
        priority: 85,
        cell: changes_cell,
    },
    field_column!("disabled", "DISABLED", 45),
    field_column!("blocked", "BLOCKED", 55),
    field_column!("limit", "LIMIT", 80),
    field_column!("unit", "UNIT", 8),
    field_column!("limits.diem", "DIEM", 40),
    field_column!("limits.vcu", "VCU", 30),
    field_column!("reset", "RESET", 60),
    field_column!("usage", "USAGE", 70),
    field_column!("remaining", "REMAINING", 65),
    field_column!("usage_total", "TOTAL", 12),
    field_column!("expires", "EXPIRES", 50),
    field_column!("models", "MODELS", 35),
    field_column!("privacy", "PRIVACY", 25),
    field_column!("include_byok_in_limit", "BYOK", 15),
    field_column!("last_used", "LAST USED", 20),
    field_column!("created", "CREATED", 10),
    field_column!("updated", "UPDATED", 5),
];

/// Whether a row in these columns can be written up to its `secret` cell before its status is
/// known: there is a `secret` column and no `status` before it.
pub fn secret_before_status(cols: &[&Column]) -> bool {
    let at = |n: &str| cols.iter().position(|c| c.name == n);
    match (at("secret"), at("status")) {
        (Some(secret), Some(status)) => secret < status,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The names `--columns` accepts.
pub fn column_names() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.name).collect()
}

fn named(names: &[&str]) -> Vec<&'static Column> {
    names
        .iter()
        .filter_map(|n| COLUMNS.iter().find(|c| c.name == *n))
        .collect()
}

/// A mode's columns: TSV keeps a fixed set (scripts count on positions), a table shows the
/// ones with something in them.
pub fn defaults(mode: Mode, format: Format) -> Vec<&'static Column> {
    let reads = [
        "id",
        "name",
        "disabled",
        "limit",
        "unit",
        "limits.diem",
        "limits.vcu",
        "reset",
        "usage",
        "remaining",
        "usage_total",
        "expires",
        "models",
        "privacy",
        "include_byok_in_limit",
        "last_used",
        "created",
        "updated",
    ];
    let mut names: Vec<&str> = match mode {
        Mode::Update => {
            let mut v = vec!["id", "status", "name", "changes"];
            v.extend(reads.iter().skip(2).filter(|n| **n != "usage_total"));
            v
        }
        // `blocked` after `disabled` in a table; last in TSV, where scripts count on the
        // positions of the columns before it.
        Mode::Get | Mode::List if format == Format::Table => {
            let mut v = reads.to_vec();
            v.insert(3, "blocked");
            v
        }
        Mode::Get | Mode::List => {
            let mut v = reads.to_vec();
            v.push("blocked");
            v
        }
        Mode::Create | Mode::Rotate => {
            let mut v = vec!["id"];
            if mode == Mode::Rotate {
                v.push("old_id");
            }
            // A rotation's secret is written before the old key's step, its status after:
            // the secret's cell comes first.
            v.extend(if mode == Mode::Rotate {
                ["name", "secret", "status"]
            } else {
                ["name", "status", "secret"]
            });
            v.extend([
                "limit",
                "unit",
                "limits.diem",
                "limits.vcu",
                "reset",
                "expires",
                "models",
                "privacy",
                "include_byok_in_limit",
            ]);
            v
        }
        Mode::Revoke => vec![
            "id",
            "name",
            "status",
            "limit",
            "unit",
            "usage",
            "last_used",
            "expires",
        ],
        // One table for every kind of write: a rotation's secret cell before its status (as
        // rotate's), and the secret's lines, not a cell, in a table.
        Mode::Apply => {
            let mut v = vec!["id", "old_id", "name", "secret", "status", "changes"];
            v.extend([
                "disabled",
                "limit",
                "unit",
                "limits.diem",
                "limits.vcu",
                "reset",
                "expires",
                "models",
                "privacy",
                "include_byok_in_limit",
            ]);
            if format == Format::Table {
                v.retain(|n| *n != "secret");
            }
            v
        }
    };
    if format == Format::Table {
        names.retain(|n| *n != "unit");
    }
    let mut cols = named(&names);
    if mode == Mode::Apply {
        for c in &mut cols {
            if c.name == "changes" {
                *c = &APPLY_CHANGES;
            }
        }
    }
    cols
}

/// apply's `changes` cell: the changes made, or why a key was left as it is (`not in the key
/// file`, `kept: rotated out DATE`, a replacement left for `--replace`).
static APPLY_CHANGES: Column = Column {
    name: "changes",
    header: "CHANGES",
    priority: 85,
    cell: |r| match &r.outcome {
        Outcome::Unchanged { reason, .. } => sanitize(reason),
        _ => changes_cell(r),
    },
};

/// A field's value as a cell: numbers with their digits, lists joined with `,`, and `null` as
/// the word for what it means there (`none` for no cap, `never`, `all` models), or empty where
/// the provider has no such setting.
pub fn field_cell(field: &str, v: &Value) -> String {
    match v {
        Value::Null => match field {
            "limit" | "limits.usd" | "limits.diem" | "limits.vcu" | "remaining" => "none",
            "expires" | "last_used" | "reset" => "never",
            "models" => "all",
            "disabled" | "privacy" | "include_byok_in_limit" | "limits" => "",
            _ => "-",
        }
        .to_string(),
        Value::String(s) => sanitize(s),
        Value::Array(a) => a
            .iter()
            .map(|x| field_cell(field, x))
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(o) => o
            .iter()
            .map(|(k, x)| format!("{} {}", sanitize(k), field_cell(field, x)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn status_cell(r: &KeyResult) -> String {
    match &r.outcome {
        Outcome::Failed(e) | Outcome::Unknown(e) => {
            format!("{} ({})", r.outcome.status(), e.kind())
        }
        Outcome::NotFound(_) => "not found".into(),
        Outcome::Created { error: Some(e), .. } => format!("created ({})", e.kind()),
        o => o.status().replace('_', " "),
    }
}

/// `limit 100→125, reset ?→daily`.
fn changes_cell(r: &KeyResult) -> String {
    r.outcome
        .changes()
        .iter()
        .map(|c| {
            let (from, to) = change_ends(c);
            format!("{} {from}→{to}", c.field)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A change's two ends as cells: `?` for a state before that was not read, `-` for a setting
/// that is empty.
pub fn change_ends(c: &crate::key::FieldChange) -> (String, String) {
    let from = c
        .from
        .as_ref()
        .map_or_else(|| "?".into(), |v| or_dash(field_cell(c.field, v)));
    (from, or_dash(field_cell(c.field, &c.to)))
}

fn or_dash(s: String) -> String {
    if s.is_empty() { "-".into() } else { s }
}

/// A TSV cell: no tab or line break can split it.
fn tsv_cell(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '\t' || c == '\n' || c == '\r' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

pub fn tsv_header(cols: &[&Column]) -> String {
    cols.iter().map(|c| c.name).collect::<Vec<_>>().join("\t")
}

pub fn tsv_row(cols: &[&Column], r: &KeyResult) -> String {
    tsv_cells(cols, r).join("\t")
}

/// The TSV cells of a row, with the column each belongs to.
pub fn tsv_cells(cols: &[&Column], r: &KeyResult) -> Vec<String> {
    cols.iter().map(|c| tsv_cell(&(c.cell)(r))).collect()
}

/// One key as `field: value` lines (`get` of one key on a terminal); fields not known, and
/// settings the provider does not have, are left out.
pub fn fields_text(r: &KeyResult) -> String {
    let Some(k) = r.outcome.key() else {
        return String::new();
    };
    let mut lines = vec![
        ("provider", k.provider.to_string()),
        ("id", sanitize(&k.id)),
    ];
    for (name, v) in k.fields() {
        let Some(v) = v else { continue };
        let cell = if name == "limits" {
            match &v {
                Value::Object(_) => field_cell("limit", &v),
                _ => String::new(),
            }
        } else {
            field_cell(name, &v)
        };
        if !cell.is_empty() {
            lines.push((name, cell));
        }
    }
    let width = lines.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 1;
    lines
        .iter()
        .map(|(n, v)| format!("{:width$} {v}", format!("{n}:")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A key `create` or `rotate` made, as a person reads it: a heading, its fields, then the
/// secret whole on a line of its own with nothing else on it (so a triple-click copies it), or
/// the file it went to, and that it cannot be shown again. Each line says whether it is the
/// secret (written as it is) or text (masked like all output).
pub fn created_text(r: &KeyResult, pending: bool) -> Vec<(String, bool)> {
    let heading = match &r.outcome {
        // The old key's step is still to come (it follows once the secret is shown).
        Outcome::Rotated { .. } if pending => format!(
            "{} key {}: its successor was created. The new key:",
            r.provider,
            sanitize(&r.key),
        ),
        Outcome::Rotated {
            old, error: None, ..
        } => format!(
            "{} key {} rotated; old key: {}. The new key:",
            r.provider,
            sanitize(&r.key),
            sanitize(old)
        ),
        Outcome::Rotated { .. } => format!(
            "{} key {}: the new key below was created, but the step on the old key failed (see \
             the error on stderr): the old key may still be active",
            r.provider,
            sanitize(&r.key),
        ),
        _ => format!("{} key created:", r.provider),
    };
    let mut lines = vec![(heading, false)];
    for line in fields_text(r).lines() {
        lines.push((format!("  {line}"), false));
    }
    match &r.outcome {
        Outcome::Created { secret, .. } | Outcome::Rotated { secret, .. } => match secret {
            super::NewSecret::Shown(secret) => {
                let shown = super::printable_secret(secret);
                lines.push((
                    if shown == *secret {
                        "  secret (shown only this once: the provider will not show it again; \
                         store it now):"
                            .to_string()
                    } else {
                        "  secret (shown only this once), written as a JSON string because it \
                         has characters a terminal cannot show:"
                            .to_string()
                    },
                    false,
                ));
                lines.push((shown, true));
            }
            super::NewSecret::File(path) => lines.push((
                format!(
                    "  secret: written to {} (mode 0600)",
                    sanitize(&path.display().to_string())
                ),
                false,
            )),
            super::NewSecret::Command(argv) => lines.push((
                format!(
                    "  secret: handed to `{}` on its standard input",
                    sanitize(&argv.join(" "))
                ),
                false,
            )),
        },
        _ => {}
    }
    lines
}

/// What was done to a rotation's old key, the line after its successor (shown first, with its
/// secret, before the old key was touched).
pub fn old_key_line(r: &KeyResult) -> String {
    match &r.outcome {
        Outcome::Rotated {
            old, error: None, ..
        } => format!("  old key {}: {}", sanitize(&r.key), sanitize(old)),
        _ => format!(
            "  old key {}: not done (see the error on stderr); the old key may still be active",
            sanitize(&r.key)
        ),
    }
}

/// The new secret's cell (TSV): the secret, or where it went.
fn secret_cell(r: &KeyResult) -> String {
    match &r.outcome {
        Outcome::Created { secret, .. } | Outcome::Rotated { secret, .. } => match secret {
            super::NewSecret::Shown(s) => s.clone(),
            super::NewSecret::File(p) => format!("file:{}", p.display()),
            super::NewSecret::Command(argv) => format!("command:{}", argv.join(" ")),
        },
        _ => String::new(),
    }
}

/// A key as `get` and `list` show it, for the tests of the tables and cells.
#[cfg(test)]
pub(super) fn shown(id: &str, name: &str) -> KeyResult {
    use crate::key::Known;
    let mut k = crate::key::Key::unread("modelgates", id, crate::key::Unit::Usd);
    k.name = Known::Value(name.into());
    k.limit = Known::Null;
    k.created = Known::Value("2025-08-24T10:30:00Z".into());
    KeyResult {
        provider: crate::provider::ProviderKind::ModelGates,
        key: id.into(),
        outcome: Outcome::Shown(Box::new(k)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_say_what_null_means() {
        assert_eq!(field_cell("limit", &Value::Null), "none");
        assert_eq!(field_cell("expires", &Value::Null), "never");
        assert_eq!(field_cell("models", &Value::Null), "all");
        assert_eq!(field_cell("disabled", &Value::Null), "");
        assert_eq!(field_cell("models", &serde_json::json!(["a", "b"])), "a,b");
        assert_eq!(field_cell("limit", &serde_json::json!(12.50)), "12.5");
    }

    #[test]
    fn tsv_cells_cannot_split_a_row() {
        let r = shown("k", "a\tb");
        let cols = named(&["id", "name"]);
        assert_eq!(tsv_row(&cols, &r).split('\t').count(), 2);
    }
}
