//! The table of key results: their columns as the table fitter (`output::fit`) sees them (ids
//! and statuses whole, names and changes wrapped, the rest dropped least important first), the
//! status in its colour, and one record per key when even the id does not fit.

use comfy_table::{Cell, Color};

use super::columns::Column;
use super::fit::{self, Col, Fitted, Form, Role};
pub use super::fit::{IdForm, SHORT_ID, short_ids};
use crate::outcome::{KeyResult, Outcome};
use crate::text::sanitize;

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
/// `--wide`); when even those do not fit, one record per key with its id whole
/// (`fit::fit` decides).
pub fn table_with(
    cols: &[&'static Column],
    rows: &[KeyResult],
    width: Option<usize>,
    fit: bool,
    headers: bool,
    colour: bool,
    ids: IdForm<'_>,
) -> String {
    let mut cols: Vec<(&'static Column, Col)> =
        cols.iter().map(|c| (*c, fit_col(c, rows))).collect();
    if fit {
        cols.retain(|(c, col)| c.priority >= 99 || col.cells.iter().any(|s| !s.is_empty()));
    }
    let fitted = fit::fit(
        cols.iter().map(|(_, col)| col.clone()).collect(),
        width,
        fit,
        ids,
    );
    match (fitted, width) {
        (Fitted::Table(kept), _) => {
            let status = kept.iter().position(|c| c.header == "STATUS");
            fit::render(&kept, width, headers, colour, |c, r, text| {
                let cell = Cell::new(text);
                match (Some(c) == status, colour, rows.get(r)) {
                    (true, true, Some(r)) => cell.fg(status_colour(&r.outcome)),
                    _ => cell,
                }
            })
        }
        // Even the id (and status) with a narrow name column is wider than the terminal (or
        // a cell is huge): one record per key instead, so nothing is cut and nothing is lost.
        (Fitted::Narrow, w) => records(&cols, rows, w.unwrap_or(0), colour),
    }
}

/// A column as the fitter sees it: ids and statuses never broken (and never dropped), the
/// columns from 85 to 98 (name, changes, secret, old id) wrapped, the rest short values.
fn fit_col(c: &Column, rows: &[KeyResult]) -> Col {
    Col {
        header: c.header.to_string(),
        cells: rows.iter().map(|r| (c.cell)(r)).collect(),
        priority: c.priority,
        form: match c.priority {
            99.. => Form::Whole,
            85..=98 => Form::Text,
            _ => Form::Short,
        },
        role: match c.name {
            "id" | "old_id" => Role::Ids,
            "name" => Role::Names,
            _ => Role::Other,
        },
    }
}

/// Keys as records ([`fit::record`]), for a terminal narrower than an id: the id on its own
/// line, then the other fields that have a value, the status in its colour.
fn records(
    cols: &[(&'static Column, Col)],
    rows: &[KeyResult],
    width: usize,
    colour: bool,
) -> String {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let id = cols
            .iter()
            .find(|(c, _)| c.name == "id")
            .map_or_else(|| sanitize(&r.key), |(_, col)| col.cells[i].clone());
        let pairs: Vec<(&str, &str, Option<anstyle::Style>)> = cols
            .iter()
            .map(|(c, col)| (c.name, col.cells[i].as_str()))
            .filter(|(name, v)| *name != "id" && !v.is_empty())
            .map(|(name, v)| {
                let style = (name == "status" && colour)
                    .then(|| anstyle::Style::new().fg_color(Some(status_ansi(&r.outcome).into())));
                (name, v, style)
            })
            .collect();
        out.extend(fit::record(id, &pairs, width));
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
        Outcome::Unknown(_)
        | Outcome::Rotated { .. }
        | Outcome::Created { .. }
        | Outcome::Adopted { .. } => AnsiColor::Yellow,
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
    use crate::key::Known;
    use crate::outcome::Mode;
    use crate::output::Format;
    use crate::output::columns::{defaults, shown};
    use unicode_width::UnicodeWidthStr;

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
                    k.remaining = Known::Value(rust_decimal::Decimal::new(725, 2));
                    k.usage = Known::Value(rust_decimal::Decimal::new(275, 2));
                    k.reset = Known::Value(crate::patch::Reset::Monthly);
                    k.disabled = Known::Value(i == 2);
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
            k.limit = Known::Value(rust_decimal::Decimal::new(5, 0));
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
            k.limit = Known::Value(rust_decimal::Decimal::new(40, 0));
            k.usage = Known::Value(rust_decimal::Decimal::new(125, 1));
            k.remaining = Known::Value(rust_decimal::Decimal::new(275, 1));
        }
        let cols = defaults(Mode::List, Format::Table);
        let t = table(&cols, &[r], Some(150), true, true, false);
        for h in ["LIMIT", "USAGE", "REMAINING"] {
            assert!(t.contains(h), "{h} missing:\n{t}");
        }
        assert!(t.lines().all(|l| l.width() <= 150), "{t}");
    }

    #[test]
    fn a_table_shortens_ids_only_when_whole_ones_cost_columns() {
        let rows: Vec<KeyResult> = (0..3)
            .map(|i| {
                let id =
                    format!("{i}f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce9");
                let mut r = shown(&id, &format!("ci-agent-{i:02}"));
                if let Outcome::Shown(k) = &mut r.outcome {
                    k.limit = Known::Value(rust_decimal::Decimal::new(25, 0));
                    k.usage = Known::Value(rust_decimal::Decimal::new(275, 2));
                    k.remaining = Known::Value(rust_decimal::Decimal::new(2225, 2));
                    k.reset = Known::Value(crate::patch::Reset::Monthly);
                    k.expires = Known::Value("2027-01-01T00:00:00Z".into());
                    k.disabled = Known::Value(false);
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
