//! The one table fitter both kinds of table use (key results, `output::key_table`; other rows,
//! `output::records`): keyctl's table style fitted to a width, the room its borders take, and
//! text wrapped by display width (`textwrap`).

use comfy_table::{ContentArrangement, Table, presets};
use unicode_width::UnicodeWidthStr;

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
}
