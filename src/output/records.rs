//! A generic renderer for rows that are not keys (providers, auth status, check, log).
//!
//! The caller gives the rows twice: as cells (table and TSV) and as JSON values (`-o json`).
//! Every cell is sanitised (terminal escapes and control characters removed, tabs and line
//! breaks made spaces, the credential masked), every JSON string masked before it is
//! serialised, and every line masked again as all output is. Long cells wrap in a table, never
//! cut, so ids can be copied whole.

use serde_json::Value;

pub use super::fit::styled;
use super::fit::{self, Col, Fitted, Form, IdForm, Role};
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
                let ids = IdForm {
                    wide: view.wide,
                    known: &[],
                };
                print_text(&fitted(r, terminal_width(), !view.no_headers, ids));
            }
        }
    }
}

/// The table of [`table`], with the cells of an `id` column shortened to unique prefixes as a
/// key table's are (`fit::fit`: when whole ids would cost the table its one-line rows or its
/// form), unless `ids.wide` (`--wide`).
pub fn fitted(r: &Records, width: Option<usize>, headers: bool, ids: IdForm<'_>) -> String {
    let cols: Vec<Col> = r
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| Col {
            header: h.to_uppercase(),
            cells: r
                .rows
                .iter()
                .map(|row| row.get(i).map_or_else(String::new, |c| sanitize(c)))
                .collect(),
            // Nothing is dropped; long cells wrap between words.
            priority: 100,
            form: Form::Words,
            role: match *h {
                "id" => Role::Ids,
                "name" => Role::Names,
                _ => Role::Other,
            },
        })
        .collect();
    match fit::fit(cols, width, true, ids) {
        Fitted::Table(cols) => fit::render(&cols, width, headers, false, |_, _, text| {
            comfy_table::Cell::new(text)
        }),
        // Too narrow for the table without breaking an id: blocks, every value whole.
        Fitted::Narrow => {
            let cells: Vec<Vec<String>> = r
                .rows
                .iter()
                .map(|row| row.iter().map(|c| sanitize(c)).collect())
                .collect();
            fit::blocks(&r.headers, &cells)
        }
    }
}

/// The table: fitted to `width` when known (long cells wrap between words, nothing is cut;
/// headers and short cells never wrap; too narrow for a column's longest word, blocks of
/// `header: value` lines), its cells sanitised, ids whole.
pub fn table(r: &Records, width: Option<usize>, headers: bool) -> String {
    let whole = IdForm {
        wide: true,
        known: &[],
    };
    fitted(r, width, headers, whole)
}

/// One JSON value as a line: every string (and name) masked before serialising, characters a
/// terminal would not show escaped (as key results are).
pub fn json_text(v: &Value) -> String {
    let mut v = v.clone();
    crate::mask::mask_json(&mut v);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use unicode_width::UnicodeWidthStr;

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
