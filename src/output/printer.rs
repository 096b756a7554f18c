//! The [`Printer`]: key results written as they complete, in input order, in the view's
//! format, a new key's secret first and flushed before anything depends on it.

use serde_json::{Map, Value};

use super::columns::{self, Column};
use super::plan::{plan_text, request_text};
use super::state;
use super::{
    Format, View, colour_stdout, diag, error, json_line, printable_secret, quiet, result_json, tag,
    terminal_width, warn, write_line, write_out, write_secret_lines,
};
use crate::error::Error;
use crate::outcome::{KeyResult, Mode, NewSecret, Outcome};
use crate::text::{redact, sanitize};

/// Prints results as they complete (in input order): JSON and TSV lines at once, the plan of a
/// dry run at once, the table at the end (its columns fit every row).
pub struct Printer {
    view: View,
    mode: Mode,
    rows: Vec<KeyResult>,
    header_done: bool,
    /// A rotation's record whose first part (with the new secret) is written, and what is
    /// left to write once the old key's step is done.
    open: Option<Rest>,
    /// Ids of keys read but not shown (e.g. the rest of a listing `--match` left out): a
    /// table's short ids are unique among these too.
    known: Vec<String>,
    /// The next new key's state is read back after its secret is delivered (Venice caps): its
    /// record is written up to the secret first, and its state after ([`Printer::hold_state`]).
    held: bool,
    /// Fields the next results' JSON lines carry after `provider` (apply: `profile`, the
    /// declared `name` and its `line`), set by [`Printer::label`].
    labels: Map<String, Value>,
}

/// The part of a rotation's record written after the old key's step.
#[derive(Debug, Clone, Copy)]
enum Rest {
    /// The JSON fields that depend on the step ([`STEP_FIELDS`]) and the closing brace, and
    /// `after` too when the key's state was held for its read-back.
    Json { after: bool },
    /// The TSV cells after the secret's (index `from` on).
    Tsv { from: usize },
    /// The line saying what was done to the old key (a rotation), after the key's fields when
    /// they were held for the read-back.
    Table { fields: bool },
    /// Nothing: the whole record is written.
    Nothing,
}

/// The fields of a rotation's JSON line known only once the old key's step is done: written
/// after the rest of the line (which holds the new secret).
const STEP_FIELDS: [&str; 3] = ["status", "old_key", "error"];

impl Printer {
    pub fn new(view: &View, mode: Mode) -> Printer {
        Printer {
            view: view.clone(),
            mode,
            rows: Vec::new(),
            header_done: false,
            open: None,
            known: Vec::new(),
            held: false,
            labels: Map::new(),
        }
    }

    /// Fields every JSON line from now on carries after `provider` (apply: the key's
    /// `profile`, declared `name` and file `line`), until the next call.
    pub fn label(&mut self, labels: Map<String, Value>) {
        self.labels = labels;
    }

    /// A result's JSON line, with the labels set by [`Printer::label`].
    fn json(&self, r: &KeyResult) -> Value {
        let v = result_json(r, self.view.verbose);
        if self.labels.is_empty() {
            return v;
        }
        let Value::Object(o) = v else { return v };
        let mut out = Map::new();
        for (k, x) in o {
            let provider = k == "provider";
            out.insert(k, x);
            if provider {
                for (l, y) in &self.labels {
                    out.insert(l.clone(), y.clone());
                }
            }
        }
        Value::Object(out)
    }

    /// The next new key's state (its `after`) is to be read back once its secret is delivered
    /// (Venice caps, which a create answer can echo wrong): [`Printer::push_secret_first`]
    /// writes its record up to the secret, and the push of its result writes the state as it
    /// ended (TSV: the cells after the secret's). Cleared by that push.
    pub fn hold_state(&mut self) {
        self.held = true;
    }

    /// Ids of keys the command read besides those it shows: a table's short ids are unique
    /// among them too, so a pasted one names one key of the listing.
    pub fn known_ids(&mut self, ids: impl IntoIterator<Item = String>) {
        self.known.extend(ids);
    }

    /// The part of a new key's record that holds its secret, written and flushed (synced
    /// when stdout is a file) before anything depends on it; the next [`push`] of the key's
    /// result (as it ended) only records it, says its error and finishes the record. A
    /// rotation's record is written up to its secret before the old key is touched: its
    /// status, old-key step and error follow (the TSV columns must have `status` after
    /// `secret` then: `rotate` checks that first); a created key's record is written whole.
    /// True when the secret reached stdout: only then may anything go on.
    ///
    /// [`push`]: Printer::push
    pub fn push_secret_first(&mut self, r: &KeyResult) -> bool {
        let Some(placed) = r.outcome.new_secret() else {
            return false;
        };
        let secret = r.outcome.secret();
        let holds = secret.is_some();
        let held = self.held;
        let whole = !matches!(r.outcome, Outcome::Rotated { .. }) && !held;
        // A secret in its file, with TSV columns that cannot be split before the status (no
        // `secret` cell, or `status` first): the record is written whole at the end.
        if let (NewSecret::File(_) | NewSecret::Command(_), Format::Tsv, false) =
            (placed, self.view.format, whole)
            && !columns::secret_before_status(&self.columns())
        {
            return true;
        }
        self.open = Some(Rest::Nothing);
        match self.view.format {
            Format::Json => {
                let mut v = self.json(r);
                if whole {
                    return write_secret_lines(&[(json_line(&v), true)], false, holds);
                }
                if let Some(o) = v.as_object_mut() {
                    for f in STEP_FIELDS {
                        o.shift_remove(f);
                    }
                    if held {
                        o.shift_remove("after");
                    }
                }
                let line = json_line(&v);
                let head = line.strip_suffix('}').unwrap_or(&line);
                self.open = Some(Rest::Json { after: held });
                write_secret_lines(&[(head.to_string(), true)], true, holds)
            }
            Format::Tsv => {
                let cols = self.columns();
                if !self.header_done && !self.view.no_headers {
                    write_out(&columns::tsv_header(&cols));
                }
                self.header_done = true;
                let at = cols.iter().position(|c| c.name == "secret");
                let upto = match at {
                    Some(at) if !whole => at + 1,
                    _ => cols.len(),
                };
                let mut cells: Vec<String> = cols[..upto]
                    .iter()
                    .zip(columns::tsv_cells(&cols[..upto], r))
                    .map(|(c, cell)| match secret {
                        Some(secret) if c.name == "secret" => printable_secret(secret),
                        _ => redact(&cell),
                    })
                    .collect();
                // A secret that fell back to stdout from its file, with --columns leaving it
                // out: an extra last cell rather than lost.
                if let (None, Some(secret)) = (at, secret) {
                    cells.push(printable_secret(secret));
                    warn("the new secret is the last cell of its row (--columns left it out)");
                }
                if upto < cols.len() {
                    self.open = Some(Rest::Tsv { from: upto });
                    write_secret_lines(&[(cells.join("\t"), true)], true, holds)
                } else {
                    write_secret_lines(&[(cells.join("\t"), true)], false, holds)
                }
            }
            Format::Table => {
                if !whole {
                    self.open = Some(Rest::Table { fields: held });
                }
                let mut lines = columns::created_text(r, !whole);
                if self.mode == Mode::Apply {
                    // apply: the secret's lines now, the key's row in the table at the end.
                    self.open = Some(Rest::Nothing);
                    return write_secret_lines(&apply_secret_lines(r, lines), false, holds);
                }
                if held {
                    // The fields follow the secret, once read back.
                    let fields = columns::fields_text(r).lines().count();
                    lines.drain(1..(1 + fields).min(lines.len()));
                }
                write_secret_lines(&lines, false, holds)
            }
        }
    }

    /// Finishes the record [`push_secret_first`] began, with `r` as it ended.
    ///
    /// [`push_secret_first`]: Printer::push_secret_first
    fn finish_open(&mut self, rest: Rest, r: &KeyResult) {
        let ok = match rest {
            Rest::Json { after } => {
                let full = self.json(r);
                let mut tail = Map::new();
                for f in STEP_FIELDS.iter().chain(after.then_some(&"after")) {
                    if let Some(v) = full.get(f) {
                        tail.insert(f.to_string(), v.clone());
                    }
                }
                let tail = json_line(&Value::Object(tail));
                let inner = tail.strip_prefix('{').unwrap_or(&tail);
                write_line(&format!(",{inner}"))
            }
            Rest::Tsv { from } => {
                let cols = self.columns();
                let rest = &cols[from.min(cols.len())..];
                let mut line = String::new();
                for cell in columns::tsv_cells(rest, r) {
                    line.push('\t');
                    line.push_str(&redact(&cell));
                }
                write_line(&line)
            }
            Rest::Table { fields } => {
                let mut lines: Vec<String> = Vec::new();
                if fields {
                    lines.extend(columns::fields_text(r).lines().map(|l| format!("  {l}")));
                }
                if matches!(r.outcome, Outcome::Rotated { .. }) {
                    lines.push(columns::old_key_line(r));
                }
                lines.is_empty() || write_out(&lines.join("\n"))
            }
            Rest::Nothing => true,
        };
        if !ok {
            state::record_not_written();
        }
    }

    /// Writes the part of `r`'s record that holds a new secret to show, unless its command
    /// already did ([`push_secret_first`]): a secret is delivered before the result is recorded
    /// or anything else about it is said. Nothing for a result without one.
    ///
    /// [`push_secret_first`]: Printer::push_secret_first
    pub fn deliver(&mut self, r: &KeyResult) {
        // A result holding a new secret is written through `push_secret_first` (by its
        // command, before anything depends on it, or here).
        if self.open.is_none() && r.outcome.secret().is_some() {
            self.push_secret_first(r);
        }
    }

    /// Prints one result (its secret first, [`deliver`]): its error on stderr, then the rest
    /// of its record, or all of it. The caller records it in the audit trail between the two
    /// (`commands::report::Reporter`).
    ///
    /// [`deliver`]: Printer::deliver
    pub fn push(&mut self, r: KeyResult) {
        self.deliver(&r);
        if let Some(e) = r.outcome.error() {
            let unknown = matches!(r.outcome, Outcome::Unknown(_));
            error(&key_message(&r, e, unknown));
        }
        self.held = false;
        if let Some(rest) = self.open.take() {
            self.finish_open(rest, &r);
            if self.mode == Mode::Apply && self.view.format == Format::Table && !quiet() {
                self.rows.push(r);
            }
            return;
        }
        let failed = state::stdout_failures();
        let r_made_key = r.outcome.new_secret().is_some();
        self.write(r);
        // A record of a new key or a rotation that did not reach stdout: the run says so and
        // exits non-zero (an update's or a read's goes on quietly, as with `| head`).
        let new_key = matches!(self.mode, Mode::Create | Mode::Rotate)
            || (self.mode == Mode::Apply && r_made_key);
        if new_key && state::stdout_failures() != failed {
            state::record_not_written();
        }
    }

    /// Writes one result in the view's format (a table's rows are kept for the end).
    fn write(&mut self, r: KeyResult) {
        // apply's row says why (its `changes` cell).
        if let Outcome::Unchanged { reason, .. } = &r.outcome
            && self.mode != Mode::Apply
        {
            diag(&format!(
                "{} key {}: unchanged: {reason}",
                r.provider,
                sanitize(&r.key)
            ));
        }
        // A new secret is printed even with -q: it cannot be shown again.
        if quiet() && r.outcome.secret().is_none() {
            return;
        }
        match self.view.format {
            // Masked value by value before serialising (`result_json`): masking the line
            // would cut into numbers and break the JSON.
            Format::Json => {
                write_line(&json_line(&self.json(&r)));
            }
            // A key `get` could not read has no row (its error is on stderr, and in the exit
            // code): a row of empty cells would read as a key with nothing known.
            _ if matches!(self.mode, Mode::Get | Mode::List) && r.outcome.error().is_some() => {}
            Format::Tsv => {
                if matches!(r.outcome, Outcome::NotAttempted) {
                    return;
                }
                // -v: the request a dry run would send, on stderr with the other -v lines (a
                // create's plan is its request: always).
                if let Outcome::DryRun { req, .. } = &r.outcome
                    && (self.view.verbose || req.method == crate::request::Method::Post)
                {
                    diag(&request_text(req, &tag(req)));
                }
                let cols = self.columns();
                if !self.header_done && !self.view.no_headers {
                    write_out(&columns::tsv_header(&cols));
                }
                self.header_done = true;
                write_out(&columns::tsv_row(&cols, &r));
            }
            Format::Table => match &r.outcome {
                Outcome::DryRun { .. } => {
                    write_out(&plan_text(&r, self.view.verbose));
                }
                // apply: a new key's secret lines at once, its row in the table.
                Outcome::Created { .. } | Outcome::Rotated { .. } if self.mode == Mode::Apply => {
                    let lines = apply_secret_lines(&r, columns::created_text(&r, false));
                    write_out(
                        &lines
                            .into_iter()
                            .map(|(l, _)| l)
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                    if !quiet() {
                        self.rows.push(r);
                    }
                }
                // A new key is shown at once, in full, with its secret (never in a cell that
                // a narrow terminal would wrap).
                Outcome::Created { .. } | Outcome::Rotated { .. } => {
                    write_out(
                        &columns::created_text(&r, false)
                            .into_iter()
                            .map(|(l, _)| l)
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                }
                // Counted in the summary line, not one row each.
                Outcome::NotAttempted => {}
                _ => self.rows.push(r),
            },
        }
    }

    /// The columns: `--columns`, else the mode's defaults.
    fn columns(&self) -> Vec<&'static Column> {
        match &self.view.columns {
            Some(c) => c.clone(),
            None => columns::defaults(self.mode, self.view.format),
        }
    }

    pub fn finish(self) {
        if self.view.format != Format::Table || self.rows.is_empty() || quiet() {
            return;
        }
        let one_key = self.mode == Mode::Get
            && self.rows.len() == 1
            && self.view.columns.is_none()
            && self.rows[0].outcome.key().is_some();
        if one_key {
            write_out(&columns::fields_text(&self.rows[0]));
            return;
        }
        let cols = self.columns();
        let fitted = self.view.columns.is_none();
        write_out(&columns::table_with(
            &cols,
            &self.rows,
            terminal_width(),
            fitted,
            !self.view.no_headers,
            colour_stdout(),
            columns::IdForm {
                wide: self.view.wide,
                known: &self.known,
            },
        ));
    }
}

/// apply's lines for a new key (its fields are its row in the table): a heading naming it,
/// then `create`'s secret lines (the secret alone on its line, or where it went).
fn apply_secret_lines(r: &KeyResult, created: Vec<(String, bool)>) -> Vec<(String, bool)> {
    let fields = columns::fields_text(r).lines().count();
    let (id, name) = r.outcome.key().map_or((String::new(), String::new()), |k| {
        (
            sanitize(&k.id),
            k.name
                .value()
                .map_or(String::new(), |n| format!(" ({})", sanitize(n))),
        )
    });
    let heading = match &r.outcome {
        Outcome::Rotated { .. } => format!(
            "{} key {} replaced by {id}{name}:",
            r.provider,
            sanitize(&r.key)
        ),
        _ => format!("{} key {id}{name} created:", r.provider),
    };
    std::iter::once((heading, false))
        .chain(created.into_iter().skip(1 + fields))
        .collect()
}

/// An error about one key, naming the provider once: `ModelGates key K: not found ...`.
fn key_message(r: &KeyResult, e: &Error, unknown: bool) -> String {
    let name = r.provider.info().name;
    let msg = e.to_string();
    let rest = msg
        .strip_prefix(name)
        .map(|m| m.strip_prefix(':').unwrap_or(m).trim_start())
        .unwrap_or(&msg);
    format!(
        "{name} key {}: {}{rest}",
        sanitize(&r.key),
        if unknown { "outcome unknown: " } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderKind;

    #[test]
    fn errors_name_the_provider_once() {
        let r = KeyResult {
            provider: ProviderKind::OpenRouter,
            key: "k1".into(),
            outcome: Outcome::NotAttempted,
        };
        let e = Error::Provider {
            provider: "OpenRouter",
            status: None,
            message: "boom".into(),
        };
        assert_eq!(key_message(&r, &e, false), "OpenRouter key k1: boom");
        let e = Error::usage("plain words");
        assert_eq!(
            key_message(&r, &e, true),
            "OpenRouter key k1: outcome unknown: plain words"
        );
    }
}
