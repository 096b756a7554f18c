//! `keyctl log`: the audit trail of writes, filtered (`--since`, `--key`, `--action`,
//! `--status`, `--name`, `-p`, `-P`; `-n/--tail` keeps the last N), as a table, TSV or the
//! stored JSON lines.
//!
//! The trail is streamed, so memory does not grow with it: JSON and TSV lines are printed as
//! their entries are read. A table of up to [`WINDOW_ROWS`] entries (and [`WINDOW_BYTES`] of
//! cells) is printed as one, as any table is; a longer one is read twice: once for what its
//! columns need (each column's widest cell and longest word, and the first rows as a sample,
//! laid out as that one table would be), then again to print it in chunks of rows with those
//! column widths, stitched into one table (or as `field: value` blocks, one entry at a time,
//! when the terminal is too narrow for the table).

use std::path::Path;

use comfy_table::{ColumnConstraint, Width};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::audit::{self, Filter, Opened, Skipped};
use crate::error::{Error, Result};
use crate::output::records::{self, Records};
use crate::output::{self, Format, View, columns};
use crate::text::sanitize;

/// The columns of the table and TSV, in order (`by`: `user@host`).
const HEADERS: [&str; 10] = [
    "time", "profile", "provider", "key", "name", "action", "status", "changes", "http", "by",
];

/// The columns a table leaves out when no entry it shows has a value there (`name` and `by`:
/// lines written before they were recorded have neither), so such a trail's table is the one
/// it always was. TSV always has every column.
const OPTIONAL: [usize; 2] = [4, 9];

/// The columns a table shows: their indexes in [`HEADERS`] and their names.
#[derive(Debug, Clone)]
struct Cols {
    idx: Vec<usize>,
    headers: Vec<&'static str>,
}

impl Cols {
    /// Every column but an optional one whose widest cell is empty.
    fn of(extremes: &Extremes) -> Cols {
        let idx: Vec<usize> = (0..HEADERS.len())
            .filter(|i| {
                !OPTIONAL.contains(i) || extremes.widest.get(*i).is_some_and(|(w, _)| *w > 0)
            })
            .collect();
        let headers = idx.iter().map(|i| HEADERS[*i]).collect();
        Cols { idx, headers }
    }

    /// A row's cells of these columns.
    fn project(&self, row: Vec<String>) -> Vec<String> {
        let mut row: Vec<Option<String>> = row.into_iter().map(Some).collect();
        self.idx
            .iter()
            .map(|i| row.get_mut(*i).and_then(Option::take).unwrap_or_default())
            .collect()
    }

    /// Rows as records of these columns.
    fn records(&self, rows: Vec<Vec<String>>) -> Records {
        Records {
            headers: self.headers.clone(),
            rows: rows.into_iter().map(|r| self.project(r)).collect(),
            json: Vec::new(),
        }
    }
}

/// The filters `keyctl log` adds to `--since`, `--key`, `-p` and `-P`: `--action` and
/// `--status` (clap has checked their values), `--name GLOB` and `-n/--tail N`.
pub fn filters(
    actions: Vec<String>,
    statuses: Vec<String>,
    name: Option<&str>,
    tail: Option<usize>,
) -> Result<Filter> {
    let name = name
        .map(|g| {
            globset::Glob::new(g)
                .map(|g| g.compile_matcher())
                .map_err(|e| {
                    Error::usage(format!(
                        "--name: bad glob: {}; write it as in --match (e.g. 'ci-*')",
                        sanitize(&e.to_string())
                    ))
                })
        })
        .transpose()?;
    Ok(Filter {
        actions,
        statuses,
        name,
        last: tail,
        ..Filter::default()
    })
}

/// The most entries printed as one table at once: a longer trail's table is read twice and
/// printed in chunks.
const WINDOW_ROWS: usize = 2000;

/// The most bytes of cells (or of the table's text) printed as one table at once.
const WINDOW_BYTES: usize = 2 << 20;

/// The most rows (and bytes of cells or text) in each chunk of a long table, or a batch of
/// TSV lines.
const CHUNK_ROWS: usize = 256;
const CHUNK_BYTES: usize = 1 << 20;

/// Prints the entries of the trail at `path` that pass `filter`; `enabled` only adds to the
/// message when there is no trail yet; `quiet` (-q) prints none (the trail is read all the
/// same, so a trail that cannot be read is still exit 2). Exit 0 (no trail yet included).
pub fn run(
    view: &View,
    path: Option<&Path>,
    enabled: bool,
    filter: Filter,
    quiet: bool,
) -> Result<i32> {
    let path = path.ok_or_else(|| {
        Error::usage(
            "cannot locate the audit trail: neither XDG_STATE_HOME (an absolute path) nor HOME \
             is set; set one of them",
        )
    })?;
    let shown = sanitize(&path.display().to_string());
    let mut trail = match audit::open(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            output::diag(&format!(
                "no audit trail yet at {shown}{}",
                off_note(enabled)
            ));
            return Ok(0);
        }
        Err(e) => return Err(unreadable(&shown, &e)),
    };
    let shape = Shape {
        width: output::terminal_width(),
        headers: !view.no_headers,
        chunk: (CHUNK_ROWS, CHUNK_BYTES),
        window: (WINDOW_ROWS, WINDOW_BYTES),
    };
    let skipped = match view.format {
        _ if quiet => count(&mut trail, &filter),
        Format::Table => table(&mut trail, &filter, &shape, &mut |t| output::print_text(t)),
        Format::Tsv | Format::Json => lines(&mut trail, &filter, view),
    }
    .map_err(|e| unreadable(&shown, &e))?;
    say_skipped(&shown, skipped);
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
    let next = if audit::is_linked_folder(e) {
        "make it a real folder (move what it points to into its place)"
    } else {
        "check that it is a file you own and can read (chmod 600)"
    };
    Error::usage(format!(
        "cannot read the audit trail {shown}: {}; {next}, or point XDG_STATE_HOME elsewhere",
        sanitize(&e.to_string())
    ))
}

/// The warnings for the lines the reader left out (after the entries: they are known at the
/// end).
fn say_skipped(shown: &str, skipped: Skipped) {
    if skipped.damaged > 0 {
        output::warn(&format!(
            "{shown}: skipped {} damaged line(s) (not a JSON object: cut short by a crash, or \
             edited)",
            skipped.damaged
        ));
    }
    if skipped.too_long > 0 {
        output::warn(&format!(
            "{shown}: skipped {} line(s) longer than {} KiB (keyctl writes none that long: \
             edited, or not an audit trail)",
            skipped.too_long,
            audit::MAX_LINE >> 10
        ));
    }
}

/// Reads every entry, printing none (-q).
fn count(trail: &mut Opened, filter: &Filter) -> std::io::Result<Skipped> {
    let mut entries = trail.entries(filter)?;
    for e in entries.by_ref() {
        e?;
    }
    Ok(entries.skipped())
}

/// JSON lines (each entry as stored) or TSV lines (header first), printed as they are read:
/// a JSON entry at once, TSV lines in batches of at most [`CHUNK_ROWS`] rows or
/// [`CHUNK_BYTES`]. A TSV with no entry is its header alone, as before.
fn lines(trail: &mut Opened, filter: &Filter, view: &View) -> std::io::Result<Skipped> {
    let mut view = view.clone();
    let mut batch = Batch::default();
    let mut printed = false;
    let mut entries = trail.entries(filter)?;
    for e in entries.by_ref() {
        let e = e?;
        if view.format == Format::Json {
            records::print(&view, &one_json(e));
            continue;
        }
        batch.push(row(&e));
        if batch.full((CHUNK_ROWS, CHUNK_BYTES), 0) {
            records::print(&view, &batch.take());
            view.no_headers = true;
            printed = true;
        }
    }
    if view.format == Format::Tsv && (!batch.rows.is_empty() || !printed) {
        records::print(&view, &batch.take());
    }
    Ok(entries.skipped())
}

/// One entry as records for `-o json`.
fn one_json(e: Value) -> Records {
    Records {
        headers: HEADERS.to_vec(),
        rows: Vec::new(),
        json: vec![e],
    }
}

/// Rows gathered until they are printed, and the bytes of their cells.
#[derive(Debug, Default)]
struct Batch {
    rows: Vec<Vec<String>>,
    bytes: usize,
}

impl Batch {
    fn push(&mut self, row: Vec<String>) {
        self.bytes += row.iter().map(String::len).sum::<usize>();
        self.rows.push(row);
    }

    /// Whether it holds `limit.0` rows, or `limit.1` bytes of cells or of a table's text whose
    /// rows are `line` bytes wide (0 for TSV): a table pads every row to the widest.
    fn full(&self, limit: (usize, usize), line: usize) -> bool {
        let text = self.rows.len().saturating_mul(line);
        self.rows.len() >= limit.0 || self.bytes.max(text) >= limit.1
    }

    /// The rows as records, leaving the batch empty.
    fn take(&mut self) -> Records {
        self.bytes = 0;
        Records {
            headers: HEADERS.to_vec(),
            rows: std::mem::take(&mut self.rows),
            json: Vec::new(),
        }
    }
}

/// How a table is printed: the terminal's width (None: not fitted), whether with headers, and
/// the sizes (rows, bytes of cells) of a chunk and of the window printed as one table.
#[derive(Debug, Clone, Copy)]
struct Shape {
    width: Option<usize>,
    headers: bool,
    chunk: (usize, usize),
    window: (usize, usize),
}

/// The table of the entries, passed to `out` one piece at a time: the entries of a trail that
/// fits the window as one table (`records::table`, as every table is); a longer one in chunks
/// with the column widths that table would have (see the module's text).
fn table(
    trail: &mut Opened,
    filter: &Filter,
    shape: &Shape,
    out: &mut dyn FnMut(&str),
) -> std::io::Result<Skipped> {
    let mut window = Batch::default();
    let mut spilled = false;
    let mut extremes = Extremes::default();
    let mut entries = trail.entries(filter)?;
    for e in entries.by_ref() {
        let cells = cells(&e?);
        extremes.add(&cells);
        if spilled || window.full(shape.window, extremes.line(shape.width)) {
            spilled = true;
        } else {
            window.push(cells);
        }
    }
    let skipped = entries.skipped();
    let cols = Cols::of(&extremes);
    if !spilled {
        if !window.rows.is_empty() {
            let rows = window.take().rows;
            out(&records::table(
                &cols.records(rows),
                shape.width,
                shape.headers,
            ));
        }
        return Ok(skipped);
    }
    let layout = layout(window.take().rows, extremes, shape, &cols);
    let mut chunks = Chunks::new(layout, shape, cols);
    for e in trail.entries(filter)? {
        chunks.push(cells(&e?), out);
    }
    chunks.finish(out);
    Ok(skipped)
}

/// An entry's cells as a table shows them (sanitised: `records::table` does the same).
fn cells(e: &Value) -> Vec<String> {
    row(e).iter().map(|c| sanitize(c)).collect()
}

/// Each column's widest cell and longest word (by terminal width) over all the rows: what
/// decides the width of a table's column, but for how its cells wrap.
#[derive(Debug, Default)]
struct Extremes {
    widest: Vec<(usize, String)>,
    words: Vec<(usize, String)>,
}

impl Extremes {
    fn add(&mut self, cells: &[String]) {
        let more = cells.len().saturating_sub(self.widest.len());
        self.widest
            .extend(std::iter::repeat_n((0, String::new()), more));
        self.words
            .extend(std::iter::repeat_n((0, String::new()), more));
        for (i, c) in cells.iter().enumerate() {
            let w = c.width();
            if w > self.widest[i].0 {
                self.widest[i] = (w, c.clone());
            }
            for word in c.split_whitespace() {
                let w = word.width();
                if w > self.words[i].0 {
                    self.words[i] = (w, word.to_string());
                }
            }
        }
    }

    /// About how many bytes a table row takes at least: every cell as wide as the column's
    /// widest, or the terminal's `width` when it is fitted to one; 3 bytes of border and
    /// padding per column.
    fn line(&self, width: Option<usize>) -> usize {
        let cells: usize = self.widest.iter().map(|(w, _)| w).sum();
        cells.min(width.unwrap_or(usize::MAX)) + 3 * self.widest.len() + 3
    }

    /// Two rows: the widest cells, and the longest words.
    fn rows(self) -> [Vec<String>; 2] {
        let take = |v: Vec<(usize, String)>| v.into_iter().map(|(_, s)| s).collect();
        [take(self.widest), take(self.words)]
    }
}

/// How a long table is laid out: column widths (padding included), or blocks.
#[derive(Debug, PartialEq, Eq)]
enum Layout {
    Columns(Vec<u16>),
    Blocks,
}

/// The layout of the whole table, from `records::table` of the first rows plus a row of each
/// column's widest cells and one of its longest words: the same widths, blocks or not, as the
/// table of every row (what decides them is in those rows), but for how a terminal's width is
/// shared out among long cells, which follows the sample. The widths are read off the top
/// border (`┌──┬───┐`); a text without one is the blocks form.
fn layout(mut sample: Vec<Vec<String>>, extremes: Extremes, shape: &Shape, cols: &Cols) -> Layout {
    sample.extend(extremes.rows());
    let t = records::table(&cols.records(sample), shape.width, shape.headers);
    let border = t
        .lines()
        .next()
        .and_then(|l| l.strip_prefix('┌'))
        .and_then(|l| l.strip_suffix('┐'));
    match border {
        Some(b) => Layout::Columns(
            b.split('┬')
                .map(|s| u16::try_from(s.chars().count()).unwrap_or(u16::MAX))
                .collect(),
        ),
        None => Layout::Blocks,
    }
}

/// A long table printed in chunks with fixed column widths, their borders trimmed so they read
/// as one table: a chunk is printed when the next row comes, so only the last one has a bottom
/// border.
struct Chunks {
    layout: Layout,
    shape: Shape,
    cols: Cols,
    rows: Batch,
    started: bool,
}

impl Chunks {
    fn new(layout: Layout, shape: &Shape, cols: Cols) -> Chunks {
        Chunks {
            layout,
            shape: *shape,
            cols,
            rows: Batch::default(),
            started: false,
        }
    }

    fn push(&mut self, row: Vec<String>, out: &mut dyn FnMut(&str)) {
        let row = self.cols.project(row);
        if self.layout == Layout::Blocks {
            // Blocks stand alone: `records::table` makes any row its block when the room is
            // too small for a table (0 always is).
            let one = Records {
                headers: self.cols.headers.clone(),
                rows: vec![row],
                json: Vec::new(),
            };
            let block = records::table(&one, Some(0), true);
            out(&if self.started {
                format!("\n{block}")
            } else {
                block
            });
            self.started = true;
            return;
        }
        if self.rows.full(self.shape.chunk, self.line()) {
            self.flush(false, out);
        }
        self.rows.push(row);
    }

    /// About how many bytes a row takes at least (see [`Extremes::line`]).
    fn line(&self) -> usize {
        match &self.layout {
            Layout::Columns(w) => w.iter().map(|w| usize::from(*w) + 1).sum::<usize>() + 3,
            Layout::Blocks => 0,
        }
    }

    fn finish(mut self, out: &mut dyn FnMut(&str)) {
        if !self.rows.rows.is_empty() {
            self.flush(true, out);
        }
    }

    /// Prints the rows held: the header and the top border only in the first chunk, the bottom
    /// border only in the `last`.
    fn flush(&mut self, last: bool, out: &mut dyn FnMut(&str)) {
        let Layout::Columns(widths) = &self.layout else {
            return;
        };
        let header = self.shape.headers && !self.started;
        let text = chunk(
            &self.rows.take().rows,
            &self.cols.headers,
            widths,
            self.shape.width,
            header,
        );
        let lines: Vec<&str> = text.lines().collect();
        let from = usize::from(self.started);
        let to = if last {
            lines.len()
        } else {
            lines.len().saturating_sub(1)
        };
        out(&lines.get(from..to).unwrap_or_default().join("\n"));
        self.started = true;
    }
}

/// One chunk of a long table: the style of `records::table`, each column `widths` wide.
fn chunk(
    rows: &[Vec<String>],
    headers: &[&str],
    widths: &[u16],
    width: Option<usize>,
    header: bool,
) -> String {
    let mut t = records::styled(width);
    if header {
        t.set_header(headers.iter().map(|h| h.to_uppercase()));
    }
    for row in rows {
        t.add_row(row);
    }
    t.set_constraints(
        widths
            .iter()
            .map(|w| ColumnConstraint::Absolute(Width::Fixed(*w))),
    );
    t.to_string()
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
        s("name"),
        s("action"),
        s("status"),
        changes_text(e),
        s("http_status"),
        by(&s("user"), &s("host")),
    ]
}

/// `user@host`, `user` or `@host` as known; empty for a line written without them.
fn by(user: &str, host: &str) -> String {
    match (user, host) {
        (u, "") => u.to_string(),
        (u, h) => format!("{u}@{h}"),
    }
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
    fn a_table_leaves_out_name_and_by_when_no_entry_has_them() {
        let old = json!({"time": "t", "key": "k", "action": "update"});
        let new = json!({"time": "t", "key": "k", "name": "ci-1", "user": "ana"});
        let of = |rows: &[&Value]| {
            let mut x = Extremes::default();
            rows.iter().for_each(|r| x.add(&cells(r)));
            Cols::of(&x).headers
        };
        assert_eq!(
            of(&[&old]),
            [
                "time", "profile", "provider", "key", "action", "status", "changes", "http"
            ]
        );
        assert_eq!(of(&[&old, &new]), HEADERS);
        let cols = Cols::of(&Extremes::default());
        assert_eq!(cols.project(cells(&new))[3], "k");
        assert_eq!(cols.project(cells(&new)).len(), 8);
    }

    #[test]
    fn rows_have_every_column() {
        let e = json!({"time": "t", "profile": null, "provider": "venice", "key": "k",
                       "action": "revoke", "status": "revoked", "changes": [],
                       "http_status": 204});
        assert_eq!(
            row(&e),
            [
                "t", "", "venice", "k", "", "revoke", "revoked", "", "204", ""
            ]
        );
        let e = json!({"key": "k", "name": "ci-1", "user": "ana", "host": "build-3"});
        let r = row(&e);
        assert_eq!((r[4].as_str(), r[9].as_str()), ("ci-1", "ana@build-3"));
    }
}

#[cfg(test)]
mod streaming {
    use super::*;
    use serde_json::json;

    /// A trail of `n` entries of varied widths (ids, long change lists, empty profiles).
    fn trail(n: usize) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let text: String = (0..n)
            .map(|i| {
                let changes: Vec<Value> = (0..i % 5)
                    .map(|j| json!({"field": "limit", "from": j, "to": j * 10 + i}))
                    .collect();
                let key = if i % 7 == 3 {
                    "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943".to_string()
                } else {
                    format!("k-{i}")
                };
                let mut e = json!({"time": format!("2026-11-{:02}T10:00:00.000Z", 1 + i % 28),
                               "profile": if i % 3 == 0 { Value::Null } else { json!("work") },
                               "provider": "venice", "key": key, "action": "update",
                               "status": "updated", "changes": changes, "http_status": 200});
                // Every fourth line names the key and who wrote it (the rest as before 21).
                if i % 4 == 1 {
                    e["name"] = json!(format!("ci-agent-{i:02}"));
                    e["user"] = json!("ana");
                    e["host"] = json!("build-3");
                }
                format!("{e}\n")
            })
            .collect();
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// What `table` prints for the trail at `path`, its pieces joined as lines.
    fn printed(path: &Path, shape: &Shape) -> String {
        let mut t = audit::open(path).unwrap();
        let mut pieces = Vec::new();
        table(&mut t, &Filter::default(), shape, &mut |p| {
            pieces.push(p.to_string())
        })
        .unwrap();
        pieces.join("\n")
    }

    /// The table of every entry at once (as before the trail was streamed).
    fn whole(path: &Path, width: Option<usize>, headers: bool) -> String {
        let text = std::fs::read_to_string(path).unwrap();
        let rows = text
            .lines()
            .map(|l| cells(&serde_json::from_str(l).unwrap()))
            .collect::<Vec<_>>();
        let mut extremes = Extremes::default();
        rows.iter().for_each(|r| extremes.add(r));
        let r = Cols::of(&extremes).records(rows);
        records::table(&r, width, headers)
    }

    fn shape(width: Option<usize>, headers: bool, window: usize, chunk: usize) -> Shape {
        Shape {
            width,
            headers,
            chunk: (chunk, usize::MAX),
            window: (window, usize::MAX),
        }
    }

    #[test]
    fn a_trail_within_the_window_is_one_table_as_before() {
        let (_d, path) = trail(40);
        for width in [None, Some(60), Some(100), Some(200)] {
            for headers in [true, false] {
                let s = shape(width, headers, WINDOW_ROWS, CHUNK_ROWS);
                assert_eq!(
                    printed(&path, &s),
                    whole(&path, width, headers),
                    "{width:?}"
                );
            }
        }
    }

    #[test]
    fn a_long_trail_in_chunks_reads_as_the_one_table() {
        let (_d, path) = trail(41);
        // The window holds all but one row: the sample has every row, so the layout is the one
        // table's exactly, at every width; the chunks (of 1, 2, 7 rows) join into it.
        for width in [None, Some(60), Some(100), Some(200)] {
            for headers in [true, false] {
                for chunk in [1, 2, 7, 40] {
                    let s = shape(width, headers, 40, chunk);
                    let got = printed(&path, &s);
                    assert_eq!(got, whole(&path, width, headers), "{width:?} {chunk}");
                }
            }
        }
        // Unfitted, the widths never depend on the sample: a sample of 3 rows gives the same.
        for chunk in [1, 5] {
            let s = shape(None, true, 3, chunk);
            assert_eq!(printed(&path, &s), whole(&path, None, true));
        }
    }

    #[test]
    fn a_long_trail_too_wide_for_the_terminal_is_blocks_one_at_a_time() {
        let (_d, path) = trail(30);
        let s = shape(Some(40), true, 2, 3);
        let got = printed(&path, &s);
        let want = whole(&path, Some(40), true);
        assert!(want.starts_with("time:"), "{want}");
        assert_eq!(got, want);
    }

    #[test]
    fn a_chunk_is_bounded_by_the_width_of_its_rows() {
        // One cell 100 000 wide pads every row of an unfitted table to that: a chunk then holds
        // a few rows, not CHUNK_ROWS.
        let mut b = Batch::default();
        b.push(vec!["x".into()]);
        assert!(!b.full((CHUNK_ROWS, CHUNK_BYTES), 100));
        for _ in 0..10 {
            b.push(vec!["x".into()]);
        }
        assert!(b.full((CHUNK_ROWS, CHUNK_BYTES), 100_000));
    }
}
