//! The one table fitter every table uses (key results, `output::key_table`; other rows,
//! `output::records`): which columns a width keeps, ids shortened to unique prefixes when whole
//! ones cost the table, the narrow forms when even the columns that must stay do not fit, each
//! column's least width, keyctl's box style, and text wrapped by display width (`textwrap`).

use std::collections::{HashMap, HashSet};

use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Table, Width, presets};
use unicode_width::UnicodeWidthStr;

/// The fewest characters an id is shortened to in a table (as docker and git show them); the
/// key reference grammar takes any unique prefix of 6 or more.
pub const SHORT_ID: usize = 8;

/// The longest cell (in bytes) a box table is drawn with: comfy-table measures a column in 16
/// bits, so a cell far wider than any terminal (a name a provider sent as 100 KB) makes the
/// narrow form instead.
const HUGE_CELL: usize = 8 * 1024;

/// A column as the fitter sees it: its header as shown, its cells (sanitised), how important
/// it is, how it may be broken, and what it holds.
#[derive(Debug, Clone)]
pub struct Col {
    pub header: String,
    pub cells: Vec<String>,
    /// The lowest goes first when the table is too wide; 85 and over never goes (`Form::Text`
    /// columns wrap instead), and without 85-and-over columns that fit there is no table.
    pub priority: u8,
    pub form: Form,
    pub role: Role,
}

/// How a column's cells may be broken across lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Never (an id, a status): the column is as wide as its widest cell.
    Whole,
    /// Only between words (an id, a URL or a time in a sentence stays whole): a table too
    /// narrow for a column's longest word is not drawn.
    Words,
    /// Anywhere (a name, a list of changes), to no fewer than 20 columns; while columns are
    /// dropped it counts as at most 30, so one long name does not push out the numbers.
    Text,
    /// A short value (a number, a date): counted whole, given at least its header's width.
    Short,
}

/// What a column holds, for shortening ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Key ids: shortened together to unique prefixes.
    Ids,
    /// Key names: a short id may not be one (the grammar reads a name before a prefix).
    Names,
    Other,
}

/// How a fitted table shows ids: `wide` (`--wide`): always whole; else shortened when whole ids
/// would cost the table, each to its shortest prefix (at least [`SHORT_ID`] characters) that no
/// other id of the table, nor of `known` (the other keys the command read), starts with.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdForm<'a> {
    pub wide: bool,
    pub known: &'a [String],
}

/// What a table at a width is: these columns (a subset of the ones given, in order, ids
/// perhaps shortened), or the narrow form (the caller's records or blocks).
#[derive(Debug)]
pub enum Fitted {
    Table(Vec<Col>),
    Narrow,
}

impl Col {
    /// Its width on one line: its widest cell or its header.
    fn widest(&self) -> usize {
        self.cells
            .iter()
            .map(|s| s.width())
            .chain([self.header.width()])
            .max()
            .unwrap_or(0)
    }

    /// Its header or its longest word, whichever is wider.
    fn longest_word(&self) -> usize {
        self.cells
            .iter()
            .flat_map(|c| c.split_whitespace())
            .map(UnicodeWidthStr::width)
            .chain([self.header.width()])
            .max()
            .unwrap_or(0)
    }

    /// The least width it may have in a table.
    fn least(&self) -> usize {
        match self.form {
            Form::Whole | Form::Short => self.widest(),
            Form::Words => self.longest_word(),
            Form::Text => self.widest().min(20),
        }
    }
}

/// The columns fitted to `width`: `None` (not a terminal), every column as it is; else the
/// columns [`keep`] keeps, ids whole or short as [`IdForm`] and [`short_pays`] decide, or the
/// narrow form when even short ids leave no table (or a cell is huge). `drop`: whether columns
/// may be dropped (no: `--columns` named them; the ids are then shortened when whole ones make
/// the table wider than `width`).
pub fn fit(cols: Vec<Col>, width: Option<usize>, drop: bool, ids: IdForm<'_>) -> Fitted {
    let Some(w) = width else {
        return Fitted::Table(cols);
    };
    let huge = cols
        .iter()
        .any(|c| c.cells.iter().any(|s| s.len() > HUGE_CELL));
    if huge {
        return Fitted::Narrow;
    }
    if !drop {
        let every: Vec<usize> = (0..cols.len()).collect();
        return if !ids.wide && wraps(&cols, &every, w) {
            Fitted::Table(shortened(&cols, ids.known))
        } else {
            Fitted::Table(cols)
        };
    }
    let full = keep(&cols, w);
    if !ids.wide && cols.iter().any(|c| c.role == Role::Ids) {
        let brief = shortened(&cols, ids.known);
        let fitted = keep(&brief, w);
        let better = match (&full, &fitted) {
            (None, _) => true,
            (Some(f), Some(s)) => short_pays(&cols, f, &brief, s, w),
            (Some(_), None) => false,
        };
        if let (true, Some(kept)) = (better, fitted) {
            return Fitted::Table(at(brief, &kept));
        }
    }
    match full {
        Some(kept) => Fitted::Table(at(cols, &kept)),
        None => Fitted::Narrow,
    }
}

/// The columns at `kept` (in order).
fn at(cols: Vec<Col>, kept: &[usize]) -> Vec<Col> {
    cols.into_iter()
        .enumerate()
        .filter(|(i, _)| kept.contains(i))
        .map(|(_, c)| c)
        .collect()
}

/// The columns a table at width `w` keeps (indices into `cols`, in order), or None when the
/// columns that never go (priority 85 and over) are wider than `w` at their least widths. First
/// the minor columns (below 40) go while `Form::Text` columns stay whole; then those wrap
/// (counted at 30 at most) and the other columns below 85 go, least important first.
fn keep(cols: &[Col], w: usize) -> Option<Vec<usize>> {
    let least: Vec<usize> = cols
        .iter()
        .filter(|c| c.priority >= 85)
        .map(Col::least)
        .collect();
    if table_width(&least) > w {
        return None;
    }
    let mut kept: Vec<usize> = (0..cols.len()).collect();
    for (wrap_at, below) in [(usize::MAX, 40), (30, 85)] {
        loop {
            let widths: Vec<usize> = kept
                .iter()
                .map(|&i| match cols[i].form {
                    Form::Text => cols[i].widest().min(wrap_at),
                    _ => cols[i].widest(),
                })
                .collect();
            if table_width(&widths) <= w {
                break;
            }
            let drop = kept
                .iter()
                .enumerate()
                .filter(|(_, i)| cols[**i].priority < below)
                .min_by_key(|(_, i)| cols[**i].priority)
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

/// Whether the kept columns are wider than `w` on one line (long cells wrap).
fn wraps(cols: &[Col], kept: &[usize], w: usize) -> bool {
    let widths: Vec<usize> = kept.iter().map(|&i| cols[i].widest()).collect();
    table_width(&widths) > w
}

/// Whether whole ids cost the table what short ones would keep: a column that matters (40 and
/// over) that only short ids leave room for, or rows of one line each.
fn short_pays(
    full: &[Col],
    kept_full: &[usize],
    short: &[Col],
    kept_short: &[usize],
    w: usize,
) -> bool {
    let names = |cols: &[Col], kept: &[usize]| -> Vec<String> {
        kept.iter()
            .map(|&i| &cols[i])
            .filter(|c| c.priority >= 40)
            .map(|c| c.header.clone())
            .collect()
    };
    let with_full = names(full, kept_full);
    names(short, kept_short)
        .iter()
        .any(|n| !with_full.contains(n))
        || (wraps(full, kept_full, w) && !wraps(short, kept_short, w))
}

/// Each id's shortest prefix of at least [`SHORT_ID`] characters that no other id of `ids`
/// starts with, and that is not one of `taken` (a key's name: the grammar reads a name before
/// a prefix); the whole id when no shorter one is unique (an id that is the start of another,
/// or one shorter than that). Ids that occur twice are one id.
pub fn short_ids<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    taken: &HashSet<&str>,
) -> HashMap<&'a str, String> {
    let mut sorted: Vec<&str> = ids.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    // In sorted order, the id sharing the longest start with an id is one of its neighbours.
    let common = |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let mut out = HashMap::with_capacity(sorted.len());
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

/// The columns with their id cells shortened ([`short_ids`] over every id cell and `known`;
/// the names of `Role::Names` columns are taken).
fn shortened(cols: &[Col], known: &[String]) -> Vec<Col> {
    let ids = cols
        .iter()
        .filter(|c| c.role == Role::Ids)
        .flat_map(|c| c.cells.iter().map(String::as_str))
        .filter(|s| !s.is_empty())
        .chain(known.iter().map(String::as_str));
    let taken = cols
        .iter()
        .filter(|c| c.role == Role::Names)
        .flat_map(|c| c.cells.iter().map(String::as_str))
        .collect();
    let short = short_ids(ids, &taken);
    cols.iter()
        .map(|c| Col {
            cells: c
                .cells
                .iter()
                .map(|s| match (c.role, short.get(s.as_str())) {
                    (Role::Ids, Some(p)) => p.clone(),
                    _ => s.clone(),
                })
                .collect(),
            ..c.clone()
        })
        .collect()
}

/// The box table of these columns, fitted to `width` when known: `Whole` columns at their
/// content width, `Words` ones never narrower than their longest word (and short cells whole
/// where there is room), the others at least as wide as their header. `cell` makes each cell
/// (column, row, text), so the caller can colour it; `colour`: keep the colour codes.
pub fn render(
    cols: &[Col],
    width: Option<usize>,
    headers: bool,
    colour: bool,
    cell: impl Fn(usize, usize, &str) -> Cell,
) -> String {
    let mut t = styled(width);
    if colour {
        t.enforce_styling();
    }
    if headers {
        t.set_header(cols.iter().map(|c| c.header.as_str()));
    }
    let rows = cols.iter().map(|c| c.cells.len()).max().unwrap_or(0);
    for r in 0..rows {
        t.add_row(
            cols.iter()
                .enumerate()
                .map(|(i, c)| cell(i, r, c.cells.get(r).map_or("", String::as_str))),
        );
    }
    let roomy = roomy_widths(cols, width);
    t.set_constraints(cols.iter().zip(roomy).map(|(c, roomy)| match c.form {
        Form::Whole => ColumnConstraint::ContentWidth,
        // comfy-table counts the padding (one space each side) in a column's width.
        Form::Words => lower(roomy),
        Form::Text | Form::Short => lower(c.header.width()),
    }));
    t.to_string()
}

/// A column at least `w` wide (padding counted).
fn lower(w: usize) -> ColumnConstraint {
    ColumnConstraint::LowerBoundary(Width::Fixed(u16::try_from(w + 2).unwrap_or(u16::MAX)))
}

/// The least width of each column that no word is broken at, widened where there is room: as
/// much of its widest cell as fits `width` for every column alike (so short cells such as a
/// status stay whole, and the long ones wrap in the room left).
fn roomy_widths(cols: &[Col], width: Option<usize>) -> Vec<usize> {
    let words: Vec<usize> = cols.iter().map(Col::longest_word).collect();
    let Some(room) = width else {
        return words;
    };
    let widest: Vec<usize> = cols
        .iter()
        .map(|c| c.cells.iter().map(|s| s.width()).max().unwrap_or(0))
        .collect();
    let capped = |cap: usize| -> Vec<usize> {
        cols.iter()
            .zip(&widest)
            .map(|(c, w)| c.header.width().max((*w).min(cap)))
            .collect()
    };
    let top = widest.iter().copied().max().unwrap_or(0);
    let roomy: Vec<usize> = (0..=top)
        .rev()
        .map(capped)
        .find(|ws| table_width(ws) <= room)
        .unwrap_or_else(|| capped(0))
        .into_iter()
        .zip(&words)
        .map(|(l, w)| l.max(*w))
        .collect();
    if table_width(&roomy) <= room {
        roomy
    } else {
        words
    }
}

/// Rows as blocks of `header: value` lines, a blank line between rows (every value whole,
/// empty ones left out): the narrow form of a table whose columns are not keys.
pub fn blocks(headers: &[&str], cells: &[Vec<String>]) -> String {
    let pad = headers.iter().map(|h| h.width()).max().unwrap_or(0);
    cells
        .iter()
        .map(|row| {
            headers
                .iter()
                .zip(row)
                .filter(|(_, v)| !v.is_empty())
                .map(|(h, v)| format!("{h}:{} {v}", " ".repeat(pad - h.width())))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// One record of the narrow form of a key table: `first` (the id, whole, so it can be pasted
/// back) on its own line, then `field: value` pairs two spaces apart, wrapped to `width` by
/// display width (a value longer than a line continues on lines of its own). A pair's style
/// (a status's colour) is added after measuring: it takes no room on the screen.
pub fn record(
    first: String,
    pairs: &[(&str, &str, Option<anstyle::Style>)],
    width: usize,
) -> Vec<String> {
    const INDENT: &str = "  ";
    let room = width.saturating_sub(INDENT.len()).max(10);
    let mut out = vec![first];
    let (mut line, mut used) = (String::new(), 0usize);
    let flush = |line: &mut String, used: &mut usize, out: &mut Vec<String>| {
        if *used > 0 {
            out.push(format!("{INDENT}{line}"));
        }
        line.clear();
        *used = 0;
    };
    for (name, v, style) in pairs {
        let pieces = wrap(&format!("{name}: {v}"), room);
        if let [one] = pieces.as_slice() {
            let w = one.width();
            if used > 0 && used + 2 + w > room {
                flush(&mut line, &mut used, &mut out);
            }
            if used > 0 {
                line.push_str("  ");
                used += 2;
            }
            match style {
                Some(style) => line.push_str(&format!("{name}: {style}{v}{style:#}")),
                None => line.push_str(one),
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
    out
}

/// An empty table in keyctl's style (UTF8_FULL_CONDENSED, no colour unless the caller enforces
/// it), fitted to `width` when known (long cells wrap), else as wide as its cells.
pub fn styled(width: Option<usize>) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED).force_no_tty();
    match width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(u16::try_from(w).unwrap_or(u16::MAX));
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t
}

/// The width of a [`styled`] table with these column widths: one border more than columns,
/// and one space of padding each side per column.
pub fn table_width(widths: &[usize]) -> usize {
    1 + widths.iter().map(|w| w + 3).sum::<usize>()
}

/// `text` in lines of at most `max` columns (display width; continuation lines 2 narrower, at
/// least 4), broken after spaces where it can, inside a word where it must.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    if text.width() <= max {
        return vec![text.to_string()];
    }
    // The continuation lines' 2 narrower columns are an indent textwrap counts, taken off
    // again (the caller indents them itself).
    let indent = " ".repeat(max - max.saturating_sub(2).max(4).min(max));
    let options = textwrap::Options::new(max)
        .subsequent_indent(&indent)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .break_words(true);
    textwrap::wrap(text, options)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let l = if i == 0 {
                &l
            } else {
                l.strip_prefix(&indent).unwrap_or(&l)
            };
            l.trim_end().to_string()
        })
        .filter(|l| !l.trim().is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let none = HashSet::new();
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
        let taken = HashSet::from(["6ab9f1eb"]);
        assert_eq!(
            short_ids(ids, &taken)["6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0"],
            "6ab9f1eb8"
        );
    }
}
