//! Pure string helpers that know nothing of secrets, providers or output: the one parser of
//! terminal escape sequences (what a terminal would actually show), cutting text to a length,
//! and stripping HTML tags. `secret` and `text` build on these; this module imports nothing
//! from the crate.

/// One character a terminal would show, with the byte range it came from in the source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Visible {
    pub c: char,
    pub start: usize,
    pub end: usize,
}

/// The characters of `s` a terminal shows: escape sequences (CSI, OSC, DCS, APC, PM and two-byte
/// `ESC x`), other control characters and bidi overrides are dropped; `\n`, `\r`, `\t` become
/// spaces.
pub fn visible(s: &str) -> Vec<Visible> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek().map(|(_, c)| *c) {
                Some('[') => {
                    chars.next();
                    // CSI: parameters, then one final byte in @..~
                    for (_, c) in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']' | 'P' | '_' | '^') => {
                    // OSC / DCS / APC / PM: up to BEL or ESC \
                    chars.next();
                    while let Some((_, c)) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' {
                            if chars.peek().map(|(_, c)| *c) == Some('\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\n' | '\r' | '\t' => out.push(Visible {
                c: ' ',
                start: i,
                end: i + c.len_utf8(),
            }),
            c if c.is_control() || is_invisible(c) => {}
            c => out.push(Visible {
                c,
                start: i,
                end: i + c.len_utf8(),
            }),
        }
    }
    out
}

/// Characters a terminal draws as nothing, or that reorder text: bidi overrides and isolates,
/// zero-width spaces and joiners, the soft hyphen, word joiners, the BOM, tag characters.
/// Planted inside a secret they would hide it from a plain substring match.
pub fn is_invisible(c: char) -> bool {
    // Everything below the soft hyphen is visible or a control (checked apart): one comparison
    // for the ASCII that makes up nearly every line.
    if (c as u32) < 0xad {
        return false;
    }
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        // Arabic, Syriac and Kaithi number signs and marks (format characters).
        | '\u{0600}'..='\u{0605}' | '\u{06dd}' | '\u{070f}' | '\u{0890}' | '\u{0891}' | '\u{08e2}'
        | '\u{110bd}' | '\u{110cd}'
        // Line and paragraph separators: drawn as nothing by terminals, and line breaks to
        // JavaScript and Python readers.
        | '\u{2028}' | '\u{2029}'
        // Egyptian hieroglyph and shorthand format controls.
        | '\u{13430}'..='\u{1343f}' | '\u{1bca0}'..='\u{1bca3}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}' | '\u{fff9}'..='\u{fffb}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}')
}

/// True when `visible(s)` would drop or change something.
pub fn has_controls(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || is_invisible(c))
}

/// `s` as a terminal shows it (see [`visible`]).
pub fn strip_controls(s: &str) -> String {
    if !has_controls(s) {
        return s.to_string();
    }
    visible(s).into_iter().map(|v| v.c).collect()
}

/// Keeps the first `max` characters of `s`, and marks a cut with a `…` after them.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => {
            let mut t = s[..i].to_string();
            t.push('…');
            t
        }
    }
}

/// The text of an HTML page with its tags replaced by spaces.
pub fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escapes_and_controls() {
        assert_eq!(strip_controls("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        assert_eq!(strip_controls("x\u{1b}]0;title\u{7}y"), "xy");
        assert_eq!(strip_controls("x\u{1b}]8;;http://e\u{1b}\\y"), "xy");
        assert_eq!(strip_controls("l1\nl2\r\tz\u{0}\u{7f}\u{9b}"), "l1 l2  z");
        assert_eq!(strip_controls("\u{202e}abc"), "abc");
        assert_eq!(
            strip_controls("a\u{200b}b\u{ad}c\u{feff}d\u{2060}e\u{e0041}f"),
            "abcdef"
        );
        assert_eq!(strip_controls("trailing\u{1b}"), "trailing");
        assert_eq!(strip_controls("plain"), "plain");
    }

    #[test]
    fn visible_keeps_source_ranges() {
        let v = visible("é\u{1b}[0mx");
        assert_eq!(
            v,
            vec![
                Visible {
                    c: 'é',
                    start: 0,
                    end: 2
                },
                Visible {
                    c: 'x',
                    start: 6,
                    end: 7
                }
            ]
        );
    }

    #[test]
    fn cuts_on_characters() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "abc…");
        assert_eq!(cut("ééé", 2), "éé…");
        assert_eq!(cut("", 0), "");
    }

    #[test]
    fn tags() {
        assert_eq!(strip_tags("<b>x</b>y"), " x y");
    }
}
