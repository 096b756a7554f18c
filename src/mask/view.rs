//! Text as a later step would show it (controls and tags dropped, entities and escapes decoded),
//! each character mapped back to the source bytes it stands for.

/// Text as a later step shows it, with each character's source bytes: escape sequences,
/// controls and invisible characters dropped (see `visible`), HTML tags dropped, HTML entities
/// (`&#78;`, `&#x4e;`, `&amp;`, …) and JSON `\uXXXX`, `\n`, `\r`, `\t` escapes decoded. What is
/// dropped, and line breaks and tabs, are nothing in the joined view (pieces of a word around
/// them become one) and one space in the other (a word before them stays a word).
pub(super) struct View {
    pub(super) text: String,
    /// Per character of `text`: its start in `text`, and the source range it stands for.
    chars: Vec<(usize, usize, usize)>,
}

impl View {
    /// Whether `s` holds anything a view would change.
    pub(super) fn needed(s: &str) -> bool {
        crate::visible::has_controls(s) || s.contains(['<', '&', '\\'])
    }

    pub(super) fn new(s: &str, joined: bool) -> View {
        let vis = crate::visible::visible(s);
        let mut v = View {
            text: String::with_capacity(s.len()),
            chars: Vec::with_capacity(vis.len()),
        };
        let mut i = 0;
        let mut prev_end = 0;
        while i < vis.len() {
            let c = vis[i];
            if c.start > prev_end {
                v.gap(joined, prev_end, c.start);
            }
            let (decoded, n) = match c.c {
                '<' => match tag_len(&vis[i..]) {
                    Some(n) => (None, n),
                    None => (Some(c.c), 1),
                },
                '&' => match entity(&vis[i..]) {
                    Some((d, n)) => (Some(d), n),
                    None => (Some(c.c), 1),
                },
                '\\' => match json_escape(&vis[i..]) {
                    Some((d, n)) => (Some(d), n),
                    None => (Some(c.c), 1),
                },
                _ if matches!(&s[c.start..c.end], "\n" | "\r" | "\t") => (None, 1),
                other => (Some(other), 1),
            };
            let end = vis[i + n - 1].end;
            match decoded {
                Some(d)
                    if !(d.is_control()
                        || crate::visible::is_invisible(d)
                        || d.is_whitespace()) =>
                {
                    v.push(d, c.start, end);
                }
                Some(d) if d.is_whitespace() && !matches!(d, '\n' | '\r' | '\t') => {
                    v.push(' ', c.start, end);
                }
                _ => v.gap(joined, c.start, end),
            }
            prev_end = end;
            i += n;
        }
        v
    }

    fn push(&mut self, c: char, start: usize, end: usize) {
        self.chars.push((self.text.len(), start, end));
        self.text.push(c);
    }

    /// Source bytes `start..end` dropped: nothing in the joined view, a space in the other.
    fn gap(&mut self, joined: bool, start: usize, end: usize) {
        if !joined {
            self.push(' ', start, end);
        }
    }

    /// The source range that the view's bytes `a..z` stand for.
    pub(super) fn source(&self, a: usize, z: usize) -> Option<(usize, usize)> {
        if z <= a {
            return None;
        }
        let at = |i: usize| self.chars.partition_point(|c| c.0 <= i).checked_sub(1);
        let first = self.chars.get(at(a)?)?;
        let last = self.chars.get(at(z - 1)?)?;
        Some((first.1, last.2))
    }
}

/// The length in characters of an HTML tag at the start of `v` (`<b>`, `</p>`, `<br/>`,
/// `<!-- -->`, `<?x?>`): `<`, a letter, `/`, `!` or `?`, then up to `>` within 512 characters
/// and no `<` before it.
fn tag_len(v: &[crate::visible::Visible]) -> Option<usize> {
    let second = v.get(1)?.c;
    if !(second.is_ascii_alphabetic() || matches!(second, '/' | '!' | '?')) {
        return None;
    }
    v.iter()
        .take(512)
        .skip(1)
        .position(|x| matches!(x.c, '>' | '<'))
        .filter(|&p| v[p + 1].c == '>')
        .map(|p| p + 2)
}

/// An HTML character reference at the start of `v`: the character and its length.
fn entity(v: &[crate::visible::Visible]) -> Option<(char, usize)> {
    let body: String = v
        .iter()
        .skip(1)
        .take(12)
        .map(|x| x.c)
        .take_while(|c| *c != ';')
        .collect();
    if v.get(body.chars().count() + 1).map(|x| x.c) != Some(';') {
        return None;
    }
    let n = body.chars().count() + 2;
    let c = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        char::from_u32(code)?
    } else {
        match body.to_ascii_lowercase().as_str() {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            "shy" => '\u{ad}',
            "zwsp" | "zwj" | "zwnj" | "lrm" | "rlm" => '\u{200b}',
            "colon" => ':',
            "equals" => '=',
            "lowbar" => '_',
            "hyphen" | "dash" => '-',
            "period" => '.',
            _ => return None,
        }
    };
    Some((c, n))
}

/// A JSON escape at the start of `v` that a reader would decode (`\uXXXX`, `\n`, `\r`, `\t`):
/// the character and its length. Others (`\"`, `\\`) are left to the field matcher.
fn json_escape(v: &[crate::visible::Visible]) -> Option<(char, usize)> {
    match v.get(1)?.c {
        'n' => Some(('\n', 2)),
        'r' => Some(('\r', 2)),
        't' => Some(('\t', 2)),
        'u' => {
            let hex: String = v.get(2..6)?.iter().map(|x| x.c).collect();
            if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let c = char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?;
            Some((c, 6))
        }
        _ => None,
    }
}
