//! The table of key results fitted to a width: the least important columns dropped first, ids
//! never cut (shortened to unique prefixes where whole ones would cost a column), one record per
//! key when even the id does not fit.

use comfy_table::{Cell, Color, ColumnConstraint};
use unicode_width::UnicodeWidthStr;

use super::columns::Column;
use super::fit;
use crate::outcome::{KeyResult, Outcome};
use crate::text::sanitize;

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
    if fit::table_width(&least) > w {
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
            if fit::table_width(&widths) <= w {
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
    fit::table_width(&widths) > w
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
    let mut t = fit::styled(width);
    if colour {
        t.enforce_styling();
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
            let pieces = fit::wrap(&pair, room);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Mode;
    use crate::output::Format;
    use crate::output::columns::{defaults, shown};

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
}
