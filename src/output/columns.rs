//! The columns of tables and TSV (name, header, how important, how a cell is made), the table
//! fitted to a width (least important columns dropped first, ids never cut), TSV lines and the
//! `field: value` form of one key.

use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, presets};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

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
    };
    if format == Format::Table {
        names.retain(|n| *n != "unit");
    }
    named(&names)
}

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

/// The width of a table with these column widths (UTF8_FULL_CONDENSED: a border and one space
/// of padding each side per column).
fn table_width(widths: &[usize]) -> usize {
    1 + widths.iter().map(|w| w + 3).sum::<usize>()
}

/// The fewest characters an id is shortened to in a table (as docker and git show them); the
/// key reference grammar takes any unique prefix of 6 or more.
pub const SHORT_ID: usize = 8;

/// The longest cell (in bytes) a box table is drawn with; longer, the keys are records.
const HUGE_CELL: usize = 8 * 1024;

/// How a table shows ids: `wide` (`--wide`): always whole; else shortened when whole ids would
/// not fit the width, each to its shortest prefix (at least [`SHORT_ID`] characters) that no
/// other id of the table, nor of `known` (the other keys the command read), starts with.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdForm<'a> {
    pub wide: bool,
    pub known: &'a [String],
}

/// Each id's shortest prefix of at least [`SHORT_ID`] characters that no other id of `ids`
/// starts with, and that is not one of `taken` (a key's name: the grammar reads a name before
/// a prefix); the whole id when no shorter one is unique (an id that is the start of another,
/// or one shorter than that). Ids that occur twice are one id.
pub fn short_ids<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    taken: &std::collections::HashSet<&str>,
) -> std::collections::HashMap<&'a str, String> {
    let mut sorted: Vec<&str> = ids.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    // In sorted order, the id sharing the longest start with an id is one of its neighbours.
    let common = |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let mut out = std::collections::HashMap::with_capacity(sorted.len());
    for (i, id) in sorted.iter().enumerate() {
        let before = i.checked_sub(1).map_or(0, |j| common(sorted[j], id));
        let after = sorted.get(i + 1).map_or(0, |n| common(n, id));
        let len = id.chars().count();
        let mut n = (before.max(after) + 1).max(SHORT_ID);
        let mut short: String = id.chars().take(n).collect();
        while n < len && taken.contains(short.as_str()) {
            n += 1;
            short = id.chars().take(n).collect();
        }
        out.insert(*id, short);
    }
    out
}

/// The columns that hold key ids (shortened together).
fn holds_ids(c: &Column) -> bool {
    c.name == "id" || c.name == "old_id"
}

/// The id cells of `cols` shortened ([`short_ids`] over every id cell and `known`; names in the
/// `name` column are taken).
fn shortened(cols: &[(&'static Column, Vec<String>)], known: &[String]) -> Vec<Vec<String>> {
    let ids = cols
        .iter()
        .filter(|(c, _)| holds_ids(c))
        .flat_map(|(_, cells)| cells.iter().map(String::as_str))
        .filter(|s| !s.is_empty())
        .chain(known.iter().map(String::as_str));
    let taken = cols
        .iter()
        .filter(|(c, _)| c.name == "name")
        .flat_map(|(_, cells)| cells.iter().map(String::as_str))
        .collect();
    let short = short_ids(ids, &taken);
    cols.iter()
        .map(|(c, cells)| {
            cells
                .iter()
                .map(|s| match (holds_ids(c), short.get(s.as_str())) {
                    (true, Some(p)) => p.clone(),
                    _ => s.clone(),
                })
                .collect()
        })
        .collect()
}

/// A column's width on one line: its widest cell or its header.
fn widest((c, cells): &(&Column, Vec<String>)) -> usize {
    cells
        .iter()
        .map(|s| s.width())
        .chain([c.header.len()])
        .max()
        .unwrap_or(0)
}

/// The columns a table at width `w` keeps (indices into `cols`, in order), or None when even
/// the id (and status) with a narrow name column is wider than `w`. Names and changes wrap,
/// but not below 20 characters (a word per line helps no one). First the minor columns go
/// while names stay whole; then names and changes wrap (counted at 30 at most, so one long
/// name does not push out the limit and usage) and the other columns go, least important
/// first.
fn fit_columns(cols: &[(&'static Column, Vec<String>)], w: usize) -> Option<Vec<usize>> {
    let least: Vec<usize> = cols
        .iter()
        .filter(|(c, _)| c.priority >= 85)
        .map(|col| {
            if col.0.priority >= 99 {
                widest(col)
            } else {
                widest(col).min(20)
            }
        })
        .collect();
    if table_width(&least) > w {
        return None;
    }
    let mut kept: Vec<usize> = (0..cols.len()).collect();
    for (wrap_at, below) in [(usize::MAX, 40), (30, 85)] {
        loop {
            let widths: Vec<usize> = kept
                .iter()
                .map(|&i| match cols[i].0.priority {
                    85..=98 => widest(&cols[i]).min(wrap_at),
                    _ => widest(&cols[i]),
                })
                .collect();
            if table_width(&widths) <= w {
                break;
            }
            let drop = kept
                .iter()
                .enumerate()
                .filter(|(_, i)| cols[**i].0.priority < below)
                .min_by_key(|(_, i)| cols[**i].0.priority)
                .map(|(k, _)| k);
            match drop {
                Some(k) => {
                    kept.remove(k);
                }
                None => break,
            }
        }
    }
    Some(kept)
}

/// Whether the kept columns are wider than `w` on one line (names or changes wrap).
fn wraps(cols: &[(&'static Column, Vec<String>)], kept: &[usize], w: usize) -> bool {
    let widths: Vec<usize> = kept.iter().map(|&i| widest(&cols[i])).collect();
    table_width(&widths) > w
}

/// Whether whole ids cost the table what short ones would keep: a column that matters (one
/// the first fitting pass keeps while names stay whole), or rows of one line each.
fn short_pays(
    full: &[(&'static Column, Vec<String>)],
    kept_full: &[usize],
    short: &[(&'static Column, Vec<String>)],
    kept_short: &[usize],
    w: usize,
) -> bool {
    let names = |cols: &[(&'static Column, Vec<String>)], kept: &[usize]| -> Vec<&str> {
        kept.iter()
            .map(|&i| cols[i].0)
            .filter(|c| c.priority >= 40)
            .map(|c| c.name)
            .collect()
    };
    let with_full = names(full, kept_full);
    names(short, kept_short)
        .iter()
        .any(|n| !with_full.contains(n))
        || (wraps(full, kept_full, w) && !wraps(short, kept_short, w))
}

/// The table of results, ids whole or shortened as [`table_with`] decides (no other ids known).
pub fn table(
    cols: &[&'static Column],
    rows: &[KeyResult],
    width: Option<usize>,
    fit: bool,
    headers: bool,
    colour: bool,
) -> String {
    table_with(cols, rows, width, fit, headers, colour, IdForm::default())
}

/// The table of results. `fit`: drop empty columns, then the least important ones until the
/// table fits `width` (then long names wrap); ids are never cut or wrapped. When whole ids
/// would cost a column that matters, or rows of one line (or, with `--columns`, the table is
/// wider than `width`), ids are shown as their shortest unique prefixes (`ids`, unless
/// `--wide`); when even those do not fit, one record per key with its id whole.
pub fn table_with(
    cols: &[&'static Column],
    rows: &[KeyResult],
    width: Option<usize>,
    fit: bool,
    headers: bool,
    colour: bool,
    ids: IdForm<'_>,
) -> String {
    let mut cols: Vec<(&'static Column, Vec<String>)> = cols
        .iter()
        .map(|c| (*c, rows.iter().map(|r| (c.cell)(r)).collect()))
        .collect();
    if fit {
        cols.retain(|(c, cells)| c.priority >= 99 || cells.iter().any(|s| !s.is_empty()));
    }
    let short = |cols: &[(&'static Column, Vec<String>)]| -> Vec<(&'static Column, Vec<String>)> {
        cols.iter()
            .map(|(c, _)| *c)
            .zip(shortened(cols, ids.known))
            .collect()
    };
    // comfy-table measures a column in 16 bits: a cell far wider than any terminal (a name
    // a provider sent as 100 KB) is shown in the records, which wrap it themselves.
    let huge = cols
        .iter()
        .any(|(_, cells)| cells.iter().any(|s| s.len() > HUGE_CELL));
    match (fit, width) {
        (_, Some(w)) if huge => records(&cols, rows, w, colour),
        (true, Some(w)) => {
            let full = fit_columns(&cols, w);
            if !ids.wide {
                let brief = short(&cols);
                let fitted = fit_columns(&brief, w);
                let better = match (&full, &fitted) {
                    (None, _) => true,
                    (Some(f), Some(s)) => short_pays(&cols, f, &brief, s, w),
                    (Some(_), None) => false,
                };
                if let (true, Some(kept)) = (better, fitted) {
                    return render(keep(brief, &kept), rows, width, headers, colour);
                }
            }
            match full {
                Some(kept) => render(keep(cols, &kept), rows, width, headers, colour),
                // Even the id (and status) with a narrow name column is wider than the
                // terminal: one record per key instead, so nothing is cut and nothing is lost.
                None => records(&cols, rows, w, colour),
            }
        }
        // `--columns`: every column asked for; ids shortened when whole ones make the table
        // wider than the terminal.
        (false, Some(w)) if !ids.wide && wraps(&cols, &(0..cols.len()).collect::<Vec<_>>(), w) => {
            let brief = short(&cols);
            render(brief, rows, width, headers, colour)
        }
        _ => render(cols, rows, width, headers, colour),
    }
}

/// The columns at `kept` (in order).
fn keep(
    cols: Vec<(&'static Column, Vec<String>)>,
    kept: &[usize],
) -> Vec<(&'static Column, Vec<String>)> {
    cols.into_iter()
        .enumerate()
        .filter(|(i, _)| kept.contains(i))
        .map(|(_, c)| c)
        .collect()
}

/// The box table of these columns' cells, fitted to `width` when known.
fn render(
    cols: Vec<(&'static Column, Vec<String>)>,
    rows: &[KeyResult],
    width: Option<usize>,
    headers: bool,
    colour: bool,
) -> String {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    if colour {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    match width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(u16::try_from(w).unwrap_or(u16::MAX));
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    if headers {
        t.set_header(cols.iter().map(|(c, _)| c.header).collect::<Vec<_>>());
    }
    for (i, r) in rows.iter().enumerate() {
        let row: Vec<Cell> = cols
            .iter()
            .map(|(c, cells)| {
                let cell = Cell::new(&cells[i]);
                match (c.name, colour) {
                    ("status", true) => cell.fg(status_colour(&r.outcome)),
                    _ => cell,
                }
            })
            .collect();
        t.add_row(row);
    }
    let keep_whole: Vec<ColumnConstraint> = cols
        .iter()
        .map(|(c, _)| {
            if c.priority >= 99 {
                ColumnConstraint::ContentWidth
            } else {
                // comfy-table counts the padding (one space each side) in a column's width.
                ColumnConstraint::LowerBoundary(comfy_table::Width::Fixed(
                    u16::try_from(c.header.len() + 2).unwrap_or(10),
                ))
            }
        })
        .collect();
    t.set_constraints(keep_whole);
    t.to_string()
}

/// Keys as records, for a terminal narrower than an id: the id on its own line (whole, so it
/// can be pasted back), then `field: value` pairs two spaces apart, wrapped to `width` by
/// display width (a value longer than a line continues on lines of its own).
fn records(
    cols: &[(&Column, Vec<String>)],
    rows: &[KeyResult],
    width: usize,
    colour: bool,
) -> String {
    const INDENT: &str = "  ";
    let room = width.saturating_sub(INDENT.len()).max(10);
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let id = cols
            .iter()
            .find(|(c, _)| c.name == "id")
            .map_or_else(|| sanitize(&r.key), |(_, cells)| cells[i].clone());
        out.push(id);
        let (mut line, mut used) = (String::new(), 0usize);
        let flush = |line: &mut String, used: &mut usize, out: &mut Vec<String>| {
            if *used > 0 {
                out.push(format!("{INDENT}{line}"));
            }
            line.clear();
            *used = 0;
        };
        for (c, cells) in cols {
            let v = &cells[i];
            if c.name == "id" || v.is_empty() {
                continue;
            }
            let pair = format!("{}: {v}", c.name);
            let pieces = wrap(&pair, room);
            if let [one] = pieces.as_slice() {
                let w = one.width();
                if used > 0 && used + 2 + w > room {
                    flush(&mut line, &mut used, &mut out);
                }
                if used > 0 {
                    line.push_str("  ");
                    used += 2;
                }
                // Colour codes are added after measuring: they take no room on the screen.
                if c.name == "status" && colour {
                    let style =
                        anstyle::Style::new().fg_color(Some(status_ansi(&r.outcome).into()));
                    line.push_str(&format!("{}: {style}{v}{style:#}", c.name));
                } else {
                    line.push_str(one);
                }
                used += w;
            } else {
                flush(&mut line, &mut used, &mut out);
                for (n, piece) in pieces.iter().enumerate() {
                    let lead = if n == 0 { "" } else { INDENT };
                    out.push(format!("{INDENT}{lead}{piece}"));
                }
            }
        }
        flush(&mut line, &mut used, &mut out);
    }
    out.join("\n")
}

/// `text` in lines of at most `max` columns (display width; continuation lines 2 narrower),
/// broken after spaces where it can, inside a word where it must.
fn wrap(text: &str, max: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    if text.width() <= max {
        return vec![text.to_string()];
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let limit = |lines: &Vec<String>| {
        if lines.is_empty() {
            max
        } else {
            max.saturating_sub(2).max(4)
        }
    };
    for word in text.split_inclusive(' ') {
        if !line.is_empty() && line.width() + word.trim_end().width() > limit(&lines) {
            lines.push(std::mem::take(&mut line).trim_end().to_string());
        }
        for ch in word.chars() {
            if line.width() + ch.width().unwrap_or(0) > limit(&lines) && !line.trim().is_empty() {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
            }
            if !(line.is_empty() && ch == ' ') {
                line.push(ch);
            }
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

fn status_ansi(o: &Outcome) -> anstyle::AnsiColor {
    use anstyle::AnsiColor;
    match o {
        Outcome::Updated { .. }
        | Outcome::Shown(_)
        | Outcome::Created { error: None, .. }
        | Outcome::Revoked { .. }
        | Outcome::Rotated { error: None, .. } => AnsiColor::Green,
        Outcome::Failed(_) | Outcome::NotFound(_) => AnsiColor::Red,
        Outcome::Unknown(_) | Outcome::Rotated { .. } | Outcome::Created { .. } => {
            AnsiColor::Yellow
        }
        Outcome::DryRun { .. } => AnsiColor::Cyan,
        Outcome::Unchanged { .. } | Outcome::NotAttempted => AnsiColor::BrightBlack,
    }
}

fn status_colour(o: &Outcome) -> Color {
    match status_ansi(o) {
        anstyle::AnsiColor::Green => Color::Green,
        anstyle::AnsiColor::Red => Color::Red,
        anstyle::AnsiColor::Yellow => Color::Yellow,
        anstyle::AnsiColor::Cyan => Color::Cyan,
        _ => Color::DarkGrey,
    }
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
        },
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Key, Unit};
    use crate::provider::ProviderKind;

    fn shown(id: &str, name: &str) -> KeyResult {
        let mut k = Key::unread("modelgates", id, Unit::Usd);
        k.name = Some(Some(name.into()));
        k.limit = Some(None);
        k.created = Some(Some("2025-08-24T10:30:00Z".into()));
        KeyResult {
            provider: ProviderKind::ModelGates,
            key: id.into(),
            outcome: Outcome::Shown(Box::new(k)),
        }
    }

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
    fn a_narrow_table_drops_columns_but_never_cuts_an_id() {
        let id = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943";
        let rows = vec![shown(id, "a rather long key name for the ci runner")];
        let cols = defaults(Mode::List, Format::Table);
        let whole = IdForm {
            wide: true,
            known: &[],
        };
        let t = table_with(&cols, &rows, Some(100), true, true, false, whole);
        assert!(t.contains(id), "{t}");
        assert!(t.lines().all(|l| l.chars().count() <= 100), "{t}");
        assert!(!t.contains("CREATED"), "{t}");
        // Without --wide the room goes to the columns, the id shortened.
        let t = table(&cols, &rows, Some(100), true, true, false);
        assert!(t.contains("│ f01d5260 ┆") && t.contains("CREATED"), "{t}");
        assert!(t.lines().all(|l| l.chars().count() <= 100), "{t}");
        let wide = table(&cols, &rows, Some(200), true, true, false);
        assert!(wide.contains("CREATED"), "{wide}");
        // Empty columns are not shown at all.
        assert!(!wide.contains("DIEM"), "{wide}");
    }

    #[test]
    fn headers_are_never_wrapped_at_any_width() {
        let rows: Vec<KeyResult> = (0..3)
            .map(|i| {
                let mut r = shown(&format!("{i}f01d52606dc8f0a8303a7b5cc3fa0710"), "ci-runner");
                if let Outcome::Shown(k) = &mut r.outcome {
                    k.remaining = Some(Some(rust_decimal::Decimal::new(725, 2)));
                    k.usage = Some(Some(rust_decimal::Decimal::new(275, 2)));
                    k.reset = Some(Some(crate::patch::Reset::Monthly));
                    k.disabled = Some(Some(i == 2));
                }
                r
            })
            .collect();
        let cols = defaults(Mode::List, Format::Table);
        for w in 60..=220 {
            let t = table(&cols, &rows, Some(w), true, true, false);
            for l in t.lines() {
                assert!(l.chars().count() <= w, "{w}: {l}\n{t}");
            }
            // Every column's header whole on the header line (a wrapped one would not be).
            let header = t.lines().nth(1).unwrap_or_default();
            let shown = header.matches('┆').count() + 1;
            let whole = header
                .split(['│', '┆'])
                .filter(|cell| cols.iter().any(|c| cell.trim() == c.header))
                .count();
            assert_eq!(whole, shown, "{w}:\n{t}");
        }
    }

    #[test]
    fn wrap_fits_by_display_width() {
        for (text, max) in [
            ("name: production inference gateway (nightly batch)", 38),
            ("name: 生产推理网关生产推理网关生产推理网关生产推理网关", 30),
            (
                "changes: limit ?→75, reset ?→daily, include_byok_in_limit ?→true",
                20,
            ),
            ("x".repeat(100).as_str(), 30),
        ] {
            let lines = wrap(text, max);
            assert!(lines.iter().all(|l| l.width() <= max), "{lines:?}");
            let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let want: String = text.chars().filter(|c| *c != ' ').collect();
            assert_eq!(joined, want, "nothing lost");
        }
        assert_eq!(wrap("short", 10), ["short"]);
    }

    #[test]
    fn records_fit_narrow_terminals() {
        let mut r = shown(
            "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943",
            "生产推理网关 production inference gateway (nightly batch)",
        );
        if let Outcome::Shown(k) = &mut r.outcome {
            k.limit = Some(Some(rust_decimal::Decimal::new(5, 0)));
        }
        let cols = defaults(Mode::List, Format::Table);
        let whole = IdForm {
            wide: true,
            known: &[],
        };
        for w in [40, 60, 80] {
            let rows = std::slice::from_ref(&r);
            let t = table_with(&cols, rows, Some(w), true, true, true, whole);
            for l in t.lines().skip(1) {
                let plain = strip(l);
                assert!(plain.width() <= w, "{w}: {plain}\n{t}");
            }
            assert_eq!(t.lines().next(), Some(r.key.as_str()));
        }
        // Short ids fit where whole ones do not; below that, records with the id whole.
        let t = table(&cols, std::slice::from_ref(&r), Some(40), true, true, true);
        assert!(strip(&t).contains("│ f01d5260 ┆"), "{t}");
        let t = table(&cols, std::slice::from_ref(&r), Some(20), true, true, true);
        assert_eq!(t.lines().next(), Some(r.key.as_str()));
    }

    /// Text without its ANSI colour codes.
    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut esc = false;
        for c in s.chars() {
            match (esc, c) {
                (false, '\u{1b}') => esc = true,
                (true, 'm') => esc = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    }

    #[test]
    fn a_long_name_does_not_push_out_the_numbers() {
        let long =
            "a-very-long-key-name-for-the-customer-support-summarisation-pipeline-in-eu-west";
        let mut r = shown(
            "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943",
            long,
        );
        if let Outcome::Shown(k) = &mut r.outcome {
            k.limit = Some(Some(rust_decimal::Decimal::new(40, 0)));
            k.usage = Some(Some(rust_decimal::Decimal::new(125, 1)));
            k.remaining = Some(Some(rust_decimal::Decimal::new(275, 1)));
        }
        let cols = defaults(Mode::List, Format::Table);
        let t = table(&cols, &[r], Some(150), true, true, false);
        for h in ["LIMIT", "USAGE", "REMAINING"] {
            assert!(t.contains(h), "{h} missing:\n{t}");
        }
        assert!(t.lines().all(|l| l.width() <= 150), "{t}");
    }

    #[test]
    fn short_ids_are_the_shortest_unique_prefixes_of_at_least_8() {
        let ids = [
            "94091dd64a21ffe94214bc6d17deeb43873a5cf2f0a71b4b5caa9a5c81b6967d",
            "94091dd6a72c594a2c2f6dde493ef1c4cd27adba8c36e6ebd00b89ff143aba61",
            "94091dd64aa43ec7866a23ea000c1939a168f5ff17314a0b88c7be711d7ef7d0",
            "6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0",
            "a1b2c3",
            "a1b2c3d4e5f6",
            "e28e82dc-9df2-4b47-b726-d0a222ef2ab5",
        ];
        let none = std::collections::HashSet::new();
        let short = short_ids(ids, &none);
        let got: Vec<&str> = ids.iter().map(|i| short[i].as_str()).collect();
        assert_eq!(
            got,
            [
                "94091dd64a2",
                "94091dd6a",
                "94091dd64aa",
                "6ab9f1eb",
                "a1b2c3",
                "a1b2c3d4",
                "e28e82dc"
            ]
        );
        // Each names one id: no other starts with it.
        for (id, p) in &short {
            let hits: Vec<_> = ids.iter().filter(|o| o.starts_with(p.as_str())).collect();
            assert!(hits.len() == 1 || (p == id && hits.contains(&id)), "{p}");
        }
        // A prefix that is a key's name is made longer (the grammar reads a name first).
        let taken = std::collections::HashSet::from(["6ab9f1eb"]);
        assert_eq!(
            short_ids(ids, &taken)["6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0"],
            "6ab9f1eb8"
        );
    }

    #[test]
    fn a_table_shortens_ids_only_when_whole_ones_cost_columns() {
        let rows: Vec<KeyResult> = (0..3)
            .map(|i| {
                let id =
                    format!("{i}f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce9");
                let mut r = shown(&id, &format!("ci-agent-{i:02}"));
                if let Outcome::Shown(k) = &mut r.outcome {
                    k.limit = Some(Some(rust_decimal::Decimal::new(25, 0)));
                    k.usage = Some(Some(rust_decimal::Decimal::new(275, 2)));
                    k.remaining = Some(Some(rust_decimal::Decimal::new(2225, 2)));
                    k.reset = Some(Some(crate::patch::Reset::Monthly));
                    k.expires = Some(Some("2027-01-01T00:00:00Z".into()));
                    k.disabled = Some(Some(false));
                }
                r
            })
            .collect();
        let cols = defaults(Mode::List, Format::Table);
        // 200 columns: whole ids and every column that matters.
        let t = table(&cols, &rows, Some(200), true, true, false);
        assert!(t.contains(&rows[0].key) && t.contains("EXPIRES"), "{t}");
        // 120: whole ids would push out DISABLED and EXPIRES: short ones, one line a key.
        let t = table(&cols, &rows, Some(120), true, true, false);
        assert!(
            !t.contains(&rows[0].key) && t.contains("│ 0f01d526 ┆"),
            "{t}"
        );
        assert!(t.contains("EXPIRES") && t.contains("DISABLED"), "{t}");
        assert_eq!(t.lines().count(), 3 + 3 + 1, "{t}");
        // --wide: whole ids, fitted as before.
        let wide = IdForm {
            wide: true,
            known: &[],
        };
        let t = table_with(&cols, &rows, Some(120), true, true, false, wide);
        assert!(t.contains(&rows[0].key) && !t.contains("EXPIRES"), "{t}");
        // Short ids are unique among the known ids too.
        let known = vec![format!("{}0", &rows[0].key[..12])];
        let t = table_with(
            &cols,
            &rows,
            Some(120),
            true,
            true,
            false,
            IdForm {
                wide: false,
                known: &known,
            },
        );
        assert!(t.contains("│ 0f01d52606dc8 ┆"), "{t}");
        // 20 columns: even short ids do not fit: records, ids whole.
        let t = table(&cols, &rows, Some(20), true, true, false);
        assert_eq!(t.lines().next(), Some(rows[0].key.as_str()), "{t}");
    }

    #[test]
    fn tsv_cells_cannot_split_a_row() {
        let r = shown("k", "a\tb");
        let cols = named(&["id", "name"]);
        assert_eq!(tsv_row(&cols, &r).split('\t').count(), 2);
    }
}
