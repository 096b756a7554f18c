//! A generic renderer for rows that are not keys (providers, auth status, check, log).
//!
//! The caller gives the rows twice: as cells (table and TSV) and as JSON values (`-o json`).
//! Every cell is sanitised (terminal escapes and control characters removed, tabs and line
//! breaks made spaces, the credential masked), every JSON string masked before it is
//! serialised, and every line masked again as all output is. Long cells wrap in a table, never
//! cut, so ids can be copied whole.

use comfy_table::{ColumnConstraint, Width};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

pub use super::fit::styled;
use super::fit::table_width;
use super::{Format, View, json_line, print_text, terminal_width};
use crate::text::sanitize;

/// Rows to print: column headers (lower-case names; a table shows them upper-case), the cells
/// of each row, and each row as a JSON object for `-o json`.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub json: Vec<Value>,
}

/// Prints the records in the view's format on stdout (`view.columns` is not used: callers
/// refuse `--columns`). Like all output, a closed stdout does not stop the run; `-q` prints
/// nothing (the exit code says it all).
pub fn print(view: &View, r: &Records) {
    if super::quiet() {
        return;
    }
    match view.format {
        Format::Json => r.json.iter().for_each(|v| print_text(&json_text(v))),
        Format::Tsv => tsv_lines(r, !view.no_headers)
            .iter()
            .for_each(|l| print_text(l)),
        Format::Table => {
            if !r.rows.is_empty() {
                print_text(&fitted(r, terminal_width(), !view.no_headers, view.wide));
            }
        }
    }
}

/// The table of [`table`], with the cells of an `id` column shortened to each id's shortest
/// unique prefix (`columns::key_table::short_ids`) when whole ids do not fit `width` and short ones do
/// (unless `wide`, `--wide`); when neither fits, the blocks of [`table`] with ids whole.
pub fn fitted(r: &Records, width: Option<usize>, headers: bool, wide: bool) -> String {
    let at = r.headers.iter().position(|h| *h == "id");
    let (Some(room), Some(at), false) = (width, at, wide) else {
        return table(r, width, headers);
    };
    let titles: Vec<String> = r.headers.iter().map(|h| h.to_uppercase()).collect();
    let cells = |r: &Records| -> Vec<Vec<String>> {
        r.rows
            .iter()
            .map(|row| row.iter().map(|c| sanitize(c)).collect())
            .collect()
    };
    if words_fit(&titles, &cells(r), room) {
        return table(r, width, headers);
    }
    let name = r.headers.iter().position(|h| *h == "name");
    let taken = r
        .rows
        .iter()
        .filter_map(|row| row.get(name?))
        .map(String::as_str)
        .collect();
    let short = super::key_table::short_ids(
        r.rows
            .iter()
            .filter_map(|row| row.get(at))
            .map(String::as_str),
        &taken,
    );
    let mut brief = r.clone();
    for row in &mut brief.rows {
        if let Some(id) = row.get_mut(at)
            && let Some(p) = short.get(id.as_str())
        {
            *id = p.clone();
        }
    }
    if words_fit(&titles, &cells(&brief), room) {
        table(&brief, width, headers)
    } else {
        table(r, width, headers)
    }
}

/// One JSON value as a line: every string (and name) masked before serialising, characters a
/// terminal would not show escaped (as key results are).
pub fn json_text(v: &Value) -> String {
    let mut v = v.clone();
    crate::secret::mask_json(&mut v);
    json_line(&v)
}

/// The TSV lines: the header (when `headers`), then one line per row, cells joined by tabs.
pub fn tsv_lines(r: &Records, headers: bool) -> Vec<String> {
    let head = headers.then(|| r.headers.join("\t"));
    head.into_iter()
        .chain(r.rows.iter().map(|row| tsv_row(row)))
        .collect()
}

/// One TSV line: no tab, line break or other control character of a cell can split it.
fn tsv_row(row: &[String]) -> String {
    row.iter()
        .map(|c| sanitize(c))
        .collect::<Vec<_>>()
        .join("\t")
}

/// The table: fitted to `width` when known (long cells wrap, nothing is cut; headers and short
/// cells never wrap), its cells sanitised.
pub fn table(r: &Records, width: Option<usize>, headers: bool) -> String {
    let cells: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| row.iter().map(|c| sanitize(c)).collect())
        .collect();
    let titles: Vec<String> = r.headers.iter().map(|h| h.to_uppercase()).collect();
    if let Some(room) = width
        && !words_fit(&titles, &cells, room)
    {
        return blocks(&r.headers, &cells);
    }
    let mut t = styled(width);
    if headers {
        t.set_header(&titles);
    }
    for row in &cells {
        t.add_row(row);
    }
    // No word is ever broken (the table fits them: `words_fit`); short cells stay whole too
    // when there is room for that.
    let words = longest_words(&titles, &cells);
    let roomy: Vec<usize> = least_widths(&titles, &cells, width)
        .into_iter()
        .zip(&words)
        .map(|(l, w)| l.max(*w))
        .collect();
    let fits = |ws: &[usize]| width.is_none_or(|room| table_width(ws) <= room);
    let least = if fits(&roomy) { roomy } else { words };
    t.set_constraints(least.iter().map(|w| {
        // comfy-table counts the padding (one space each side) in a column's width.
        let w = u16::try_from(w + 2).unwrap_or(u16::MAX);
        ColumnConstraint::LowerBoundary(Width::Fixed(w))
    }));
    t.to_string()
}

/// Each column's header or longest word (an id, a URL, a time), whichever is wider: the
/// least width at which nothing in it is broken.
fn longest_words(titles: &[String], cells: &[Vec<String>]) -> Vec<usize> {
    titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let word = cells
                .iter()
                .filter_map(|row| row.get(i))
                .flat_map(|c| c.split_whitespace())
                .map(UnicodeWidthStr::width)
                .max()
                .unwrap_or(0);
            t.width().max(word)
        })
        .collect()
}

/// Whether a table can be `room` columns wide without breaking a word (borders and padding
/// counted).
fn words_fit(titles: &[String], cells: &[Vec<String>], room: usize) -> bool {
    table_width(&longest_words(titles, cells)) <= room
}

/// Rows as blocks of `header: value` lines, a blank line between rows: for a terminal too
/// narrow for the table without breaking an id (every value whole, empty ones left out).
fn blocks(headers: &[&str], cells: &[Vec<String>]) -> String {
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

/// The least width of each column: its header's, and as much of its widest cell as fits
/// `width` for every column alike (so short cells such as a status stay whole, and the long
/// ones wrap in the room left).
fn least_widths(titles: &[String], cells: &[Vec<String>], width: Option<usize>) -> Vec<usize> {
    let widest: Vec<usize> = (0..titles.len())
        .map(|i| {
            cells
                .iter()
                .filter_map(|row| row.get(i))
                .map(|c| c.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let at = |cap: usize| -> Vec<usize> {
        titles
            .iter()
            .zip(&widest)
            .map(|(t, w)| t.width().max((*w).min(cap)))
            .collect()
    };
    let Some(room) = width else {
        return at(0);
    };
    let top = widest.iter().copied().max().unwrap_or(0);
    let fits = |ws: &[usize]| table_width(ws) <= room;
    (0..=top)
        .rev()
        .map(at)
        .find(|ws| fits(ws))
        .unwrap_or_else(|| at(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn records() -> Records {
        Records {
            headers: vec!["id", "note"],
            rows: vec![
                vec!["k1".into(), "a\tb\nc\rd".into()],
                vec!["k2".into(), "x\u{1b}[31my\u{7}z\u{202e}".into()],
            ],
            json: vec![json!({"id": "k1", "note": "a\tb"})],
        }
    }

    #[test]
    fn tsv_cells_cannot_split_a_line() {
        let lines = tsv_lines(&records(), true);
        assert_eq!(lines, ["id\tnote", "k1\ta b c d", "k2\txyz"]);
        for l in &lines {
            assert_eq!(l.split('\t').count(), 2, "{l:?}");
            assert!(!l.chars().any(|c| c != '\t' && c.is_control()), "{l:?}");
        }
    }

    #[test]
    fn no_headers_leaves_out_the_header_line() {
        let lines = tsv_lines(&records(), false);
        assert_eq!(lines, ["k1\ta b c d", "k2\txyz"]);
        let t = table(&records(), Some(80), false);
        assert!(!t.contains("NOTE"), "{t}");
        assert!(table(&records(), Some(80), true).contains("NOTE"));
    }

    #[test]
    fn a_narrow_table_wraps_but_never_cuts_an_id() {
        let id = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943";
        let r = Records {
            headers: vec!["key", "changes"],
            rows: vec![vec![
                id.into(),
                "limit 10 → 50; reset daily → monthly".into(),
            ]],
            json: Vec::new(),
        };
        // Too narrow for the id in a column: one block of `field: value` lines, the id whole
        // on one line that can be pasted back.
        let t = table(&r, Some(40), true);
        assert_eq!(
            t,
            format!("key:     {id}\nchanges: limit 10 → 50; reset daily → monthly")
        );
        // Wide enough: a table whose id cell is whole on one line.
        let t = table(&r, Some(120), true);
        assert!(t.lines().all(|l| l.chars().count() <= 120), "{t}");
        assert!(t.lines().any(|l| l.contains(id)), "{t}");
        assert!(!t.contains('…'), "{t}");
    }

    #[test]
    fn short_cells_stay_whole_when_long_ones_wrap() {
        let id = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943";
        let r = Records {
            headers: vec!["time", "key", "status", "changes"],
            rows: vec![vec![
                "2026-11-23T18:40:00.123Z".into(),
                id.into(),
                "updated".into(),
                "limit 10 → 50; reset daily → monthly".into(),
            ]],
            json: Vec::new(),
        };
        for w in [60, 80, 120] {
            let t = table(&r, Some(w), true);
            // Every line fits, but an id that is wider than the terminal on its own.
            assert!(
                t.lines().all(|l| l.width() <= w || l.contains(id)),
                "{w}:\n{t}"
            );
            assert!(t.contains("updated"), "{w}:\n{t}");
        }
        assert!(table(&r, Some(160), true).contains(id));
        assert!(table(&r, None, true).contains(id));
    }

    #[test]
    fn json_lines_are_escaped_like_key_results() {
        let line = json_text(&json!({"note": "a\u{202e}b"}));
        assert_eq!(line, r#"{"note":"a\u202eb"}"#);
    }
}
