//! Everything keyctl prints goes through here: results (table or JSON Lines) on stdout,
//! diagnostics on stderr, and the one redaction step (`text::redact`: the credential masked)
//! applied to every line; cells and messages are sanitised with `text` before that.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use comfy_table::{ContentArrangement, Table, presets};
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::provider::{KeyView, ProviderKind};
use crate::request::Request;
use crate::text::{redact, sanitize};

static QUIET: OnceLock<bool> = OnceLock::new();

pub fn set_quiet(q: bool) {
    let _ = QUIET.set(q);
}

fn quiet() -> bool {
    QUIET.get().copied().unwrap_or(false)
}

fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn write_err(line: &str) {
    let line = redact(line);
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
}

fn write_out(text: &str) {
    write_line(&redact(text));
}

/// A line on stdout as it is (already masked by its caller).
fn write_line(text: &str) {
    let mut o = std::io::stdout().lock();
    // A closed pipe (`keyctl ... | head`) must not stop the updates: ignore write errors.
    let _ = writeln!(o, "{text}");
}

/// A diagnostic line on stderr (verbose logs, notes); silent with -q.
pub fn diag(msg: &str) {
    if !quiet() {
        write_err(msg);
    }
}

pub fn warn(msg: &str) {
    if !quiet() {
        let prefix = if color_stderr() {
            "\u{1b}[33mwarning:\u{1b}[0m"
        } else {
            "warning:"
        };
        write_err(&format!("{prefix} {msg}"));
    }
}

/// An error line on stderr; printed even with -q.
pub fn error(msg: &str) {
    let prefix = if color_stderr() {
        "\u{1b}[31merror:\u{1b}[0m"
    } else {
        "error:"
    };
    write_err(&format!("{prefix} {msg}"));
}

/// Plain text on stdout (e.g. `keyctl support`).
pub fn print_text(text: &str) {
    write_out(text.trim_end_matches('\n'));
}

/// A progress bar on stderr for runs of 20 keys or more, only on a terminal and not with -q.
pub fn progress(total: usize) -> Option<indicatif::ProgressBar> {
    if total < 20 || quiet() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} keys {elapsed}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

/// `-v`: the request about to go out, credential shown as `****`.
pub fn log_request(req: &Request, attempt: u32) {
    let mut s = format!("> {} {} (attempt {attempt})", req.method.as_str(), req.url);
    for (k, v) in req.redacted_headers() {
        s.push_str(&format!("\n>   {k}: {v}"));
    }
    diag(&s);
}

/// `table` (human) or `json` (JSON Lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table of the keys after the change
    Table,
    /// One JSON object per key per line
    Json,
}

/// What happened to one key.
#[derive(Debug)]
pub enum Outcome {
    /// The change was applied; `before` is the state read first, when one was read.
    Updated {
        view: Box<KeyView>,
        before: Option<Box<KeyView>>,
    },
    /// Nothing needed sending (e.g. already at the --limit-max cap).
    Unchanged {
        before: Option<Box<KeyView>>,
        reason: String,
    },
    DryRun {
        req: Request,
        before: Option<Box<KeyView>>,
    },
    /// A key read by `get` or `list`.
    Shown(Box<KeyView>),
    Failed(Error),
    /// The write reached the wire and no answer came: it may have been applied.
    Unknown(Error),
    /// A signal or --max-failures stopped the run before this key's write was sent.
    NotAttempted,
}

impl Outcome {
    /// The status word of the JSON output and the summary.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Updated { .. } => "updated",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::DryRun { .. } => "dry_run",
            Outcome::Shown(_) => "ok",
            Outcome::Failed(_) => "failed",
            Outcome::Unknown(_) => "unknown",
            Outcome::NotAttempted => "not_attempted",
        }
    }

    pub fn error(&self) -> Option<&Error> {
        match self {
            Outcome::Failed(e) | Outcome::Unknown(e) => Some(e),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct KeyResult {
    pub provider: ProviderKind,
    pub key: String,
    pub outcome: Outcome,
}

/// The request as `--dry-run` and JSON show it.
pub fn request_json(req: &Request) -> Value {
    let headers: Map<String, Value> = req
        .redacted_headers()
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect();
    json!({
        "method": req.method.as_str(),
        "url": req.url,
        "headers": headers,
        "body": req.body,
    })
}

/// The JSON Lines object for one key (stable field names, CLI.md "Output"); every string in it
/// has the credential masked before it is serialised (so JSON escaping cannot hide it).
/// A JSON value as one line, with every character a terminal would not show (bidi overrides,
/// zero-width characters, tags: `visible::is_invisible`) written as a `\u` escape, so a line
/// printed to a terminal cannot be made to read differently; the value parses back the same.
pub fn json_line(v: &Value) -> String {
    let s = v.to_string();
    if !s.chars().any(crate::visible::is_invisible) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if crate::visible::is_invisible(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn result_json(r: &KeyResult) -> Value {
    let mut v = result_json_raw(r);
    crate::secret::mask_json(&mut v);
    v
}

fn result_json_raw(r: &KeyResult) -> Value {
    let mut o = Map::new();
    o.insert("provider".into(), json!(r.provider.info().id));
    o.insert("key".into(), json!(r.key));
    o.insert("status".into(), json!(r.outcome.status()));
    let view_json = |v: &KeyView| serde_json::to_value(v).unwrap_or(Value::Null);
    match &r.outcome {
        Outcome::Updated { view, before } => {
            o.insert("key_state".into(), view_json(view));
            if let Some(b) = before {
                o.insert("before".into(), view_json(b));
            }
        }
        Outcome::Unchanged { before, reason } => {
            if let Some(b) = before {
                o.insert("key_state".into(), view_json(b));
            }
            o.insert("reason".into(), json!(reason));
        }
        Outcome::Shown(view) => {
            o.insert("key_state".into(), view_json(view));
        }
        Outcome::DryRun { req, before } => {
            o.insert("request".into(), request_json(req));
            if let Some(b) = before {
                o.insert("before".into(), view_json(b));
                o.insert("after".into(), req.body.clone().unwrap_or(Value::Null));
            }
        }
        Outcome::NotAttempted => {}
        Outcome::Failed(e) | Outcome::Unknown(e) => {
            let mut err = Map::new();
            err.insert("kind".into(), json!(e.kind()));
            if let Some(s) = e.http_status() {
                err.insert("http_status".into(), json!(s));
            }
            err.insert("message".into(), json!(e.to_string()));
            o.insert("error".into(), Value::Object(err));
        }
    }
    Value::Object(o)
}

/// Prints results as they complete (in input order), and the table at the end.
pub struct Printer {
    format: Format,
    rows: Vec<KeyResult>,
}

impl Printer {
    pub fn new(format: Format) -> Printer {
        Printer {
            format,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, r: KeyResult) {
        match &r.outcome {
            Outcome::Failed(e) => error(&format!("{} key {}: {e}", r.provider, sanitize(&r.key))),
            Outcome::Unknown(e) => error(&format!(
                "{} key {}: outcome unknown: {e}",
                r.provider,
                sanitize(&r.key)
            )),
            _ => {}
        }
        if let Outcome::Unchanged { reason, .. } = &r.outcome {
            diag(&format!(
                "{} key {}: unchanged: {reason}",
                r.provider,
                sanitize(&r.key)
            ));
        }
        if quiet() {
            return;
        }
        match self.format {
            // Masked value by value before serialising (`result_json`): masking the line
            // would cut into numbers and break the JSON.
            Format::Json => write_line(&json_line(&result_json(&r))),
            Format::Table => match &r.outcome {
                Outcome::DryRun { req, before } => {
                    write_out(&dry_run_text(&r, req, before.as_deref()))
                }
                // Counted in the summary line, not one row each.
                Outcome::NotAttempted => {}
                _ => self.rows.push(r),
            },
        }
    }

    pub fn finish(self) {
        if self.format == Format::Table && !self.rows.is_empty() && !quiet() {
            write_out(&table(&self.rows));
        }
    }
}

pub fn dry_run_text(r: &KeyResult, req: &Request, before: Option<&KeyView>) -> String {
    let mut s = format!(
        "# {} key {}: dry run, nothing sent\n",
        r.provider,
        sanitize(&r.key)
    );
    if let Some(b) = before {
        let now: Vec<String> = COLUMNS
            .iter()
            .filter_map(|(h, f)| f(b).map(|v| format!("{}={v}", h.to_lowercase())))
            .collect();
        s.push_str(&format!("# current: {}\n", now.join(" ")));
    }
    s.push_str(&format!("{} {}\n", req.method.as_str(), req.url));
    for (k, v) in req.redacted_headers() {
        s.push_str(&format!("{k}: {v}\n"));
    }
    if let Some(b) = &req.body {
        s.push('\n');
        s.push_str(&serde_json::to_string_pretty(b).unwrap_or_default());
        s.push('\n');
    }
    s
}

/// A cell: numbers and strings as they are, `{"usd":50,"diem":10}` as `usd 50, diem 10`.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => sanitize(s),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{} {}", sanitize(k), cell(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

type Column = (&'static str, fn(&KeyView) -> Option<String>);

const COLUMNS: [Column; 10] = [
    ("NAME", |v| v.name.as_deref().map(sanitize)),
    ("DISABLED", |v| v.disabled.map(|d| d.to_string())),
    ("LIMIT", |v| v.limit.as_ref().map(cell)),
    ("REMAINING", |v| v.remaining.as_ref().map(cell)),
    ("USAGE", |v| v.usage.as_ref().map(cell)),
    ("RESET", |v| v.reset.as_deref().map(sanitize)),
    ("EXPIRES", |v| v.expires.as_deref().map(sanitize)),
    ("MODELS", |v| {
        v.models.as_ref().map(|m| sanitize(&m.join(", ")))
    }),
    ("CREATED", |v| v.created.as_deref().map(sanitize)),
    ("UPDATED", |v| v.updated.as_deref().map(sanitize)),
];

/// The table of results as it is printed (before the last masking pass of `write_out`).
pub fn table(rows: &[KeyResult]) -> String {
    let views: Vec<Option<&KeyView>> = rows
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Updated { view, .. } | Outcome::Shown(view) => Some(view.as_ref()),
            Outcome::Unchanged { before, .. } => before.as_deref(),
            _ => None,
        })
        .collect();
    let befores: Vec<Option<&KeyView>> = rows
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Updated { before, .. } => before.as_deref(),
            _ => None,
        })
        .collect();
    let used: Vec<&Column> = COLUMNS
        .iter()
        .filter(|(_, f)| views.iter().flatten().any(|v| f(v).is_some()))
        .collect();
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    let mut header = vec!["KEY", "STATUS"];
    header.extend(used.iter().map(|(h, _)| *h));
    t.set_header(header);
    for ((r, v), b) in rows.iter().zip(&views).zip(&befores) {
        let status = match &r.outcome {
            Outcome::Failed(e) | Outcome::Unknown(e) => {
                format!("{} ({})", r.outcome.status(), e.kind())
            }
            o => o.status().replace('_', " "),
        };
        let id = v
            .and_then(|v| v.id.clone())
            .unwrap_or_else(|| r.key.clone());
        // Ids are never cut: a cut id cannot be pasted back into `keyctl get`.
        let mut row = vec![sanitize(&id), status];
        for (_, f) in &used {
            let now = v.and_then(f).unwrap_or_else(|| "-".into());
            // With a read before the write, a changed field shows `before → after`.
            let cell = match b.and_then(f) {
                Some(old) if old != now => format!("{old} → {now}"),
                _ => now,
            };
            row.push(cell);
        }
        t.add_row(row);
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_escape_what_a_terminal_would_not_show() {
        let v = json!({"name": "ci-\u{202e}gnp.exe", "tag": "a\u{e0041}b\u{200b}"});
        let line = json_line(&v);
        assert_eq!(
            line,
            r#"{"name":"ci-\u202egnp.exe","tag":"a\udb40\udc41b\u200b"}"#
        );
        assert_eq!(serde_json::from_str::<Value>(&line).unwrap(), v);
        assert_eq!(json_line(&json!({"a": "é"})), r#"{"a":"é"}"#);
    }

    #[test]
    fn cells() {
        assert_eq!(cell(&json!({"usd": 50, "diem": 10})), "usd 50, diem 10");
        assert_eq!(cell(&json!(null)), "none");
        assert_eq!(cell(&json!(12.5)), "12.5");
    }
}
