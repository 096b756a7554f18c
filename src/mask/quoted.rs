//! Text quoted from an answer, scrubbed of the secrets it may carry besides the registered ones:
//! the values of secret fields and tokens shaped like a key's secret.

use std::borrow::Cow;

use super::splice;
use super::view::View;

/// Names of fields that hold a key's secret, in lower case without `_` and `-`: `key`
/// (ModelGates, novapai and OpenRouter create answers, top level and `data.key`), `value`
/// (io.net, `data.value`), `apiKey` (Venice, `data.apiKey`), and what other APIs call it.
const SECRET_FIELDS: [&str; 11] = [
    "key",
    "value",
    "apikey",
    "secret",
    "secretkey",
    "apisecret",
    "token",
    "accesstoken",
    "authtoken",
    "privatekey",
    "password",
];

/// Whether a field of that name may hold a key's secret (any case; `_`, `-`, spaces ignored).
pub fn is_secret_field(name: &str) -> bool {
    if name.len() > 32 {
        return false;
    }
    if name.is_ascii() {
        // Without allocating: this runs for every word of a quoted answer.
        let mut buf = [0u8; 32];
        let mut n = 0;
        for c in name.bytes().filter(|c| !matches!(c, b'_' | b'-' | b' ')) {
            buf[n] = c.to_ascii_lowercase();
            n += 1;
        }
        return SECRET_FIELDS.iter().any(|f| f.as_bytes() == &buf[..n]);
    }
    let n: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_FIELDS.contains(&n.as_str())
}

/// Text quoted from an answer, made free of secrets it may carry besides the registered ones:
/// the values of secret fields written in it (`"key": "…"`, `'apiKey': '…'`, `\"value\":
/// \"…\"`, `key = …`: see [`is_secret_field`]) and tokens shaped like a key's secret (see
/// [`mask_key_like`]) become `****`.
///
/// They are looked for in the text as given and in what a later step would make of it
/// (see [`View`]): escape sequences, control and invisible characters, line breaks, HTML tags
/// dropped and HTML entities and `\uXXXX` escapes decoded, once joining what they separated and
/// once keeping a word break there. A secret pieced apart by any of those (`sk-…NEW\u{1}SECRET…`,
/// `sk-…<b></b>NEW…`, `sk-…&#78;EW…`) is masked whole, over the source bytes it spans, so that
/// stripping them afterwards cannot join the pieces again.
pub fn scrub_quoted(s: &str) -> Cow<'_, str> {
    let mut ranges = quoted_secret_ranges(s);
    if View::needed(s) {
        for joined in [true, false] {
            let view = View::new(s, joined);
            ranges.extend(
                quoted_secret_ranges(&view.text)
                    .into_iter()
                    .filter_map(|(a, z)| view.source(a, z)),
            );
        }
    }
    if ranges.is_empty() {
        return Cow::Borrowed(s);
    }
    Cow::Owned(splice(s, merge(ranges)))
}

/// The byte ranges of `s` that [`scrub_quoted`] masks in `s` itself.
fn quoted_secret_ranges(s: &str) -> Vec<(usize, usize)> {
    let mut r = secret_pair_ranges(s);
    r.extend(key_like_ranges(s));
    r
}

/// `ranges` sorted, overlapping or touching ones merged.
fn merge(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (a, z) in ranges {
        match out.last_mut() {
            Some((_, end)) if a <= *end => *end = (*end).max(z),
            _ => out.push((a, z)),
        }
    }
    out
}

/// Bytes a field name is made of.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

/// Masks the values of secret fields written as text: `"name": "value"` (either quote, also
/// escaped as inside a JSON string, the value to its closing quote or the end of the text),
/// `"name": value` (to the next `,`, `}`, `]` or white space), and `name=value` (to the next
/// `&`, `;`, `,`, quote or white space; white space around `=` allowed).
fn secret_pair_ranges(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let quoted = matches!(b[i], b'"' | b'\'');
        let at_word = is_name_byte(b[i]) && (i == 0 || !is_name_byte(b[i - 1]));
        if !quoted && !at_word {
            i += 1;
            continue;
        }
        let start = if quoted { i + 1 } else { i };
        let mut j = start;
        while j < b.len() && is_name_byte(b[j]) {
            j += 1;
        }
        if j == start || !is_secret_field(&s[start..j]) {
            i = j.max(i + 1);
            continue;
        }
        if quoted {
            // The closing quote, perhaps escaped.
            if j < b.len() && b[j] == b'\\' {
                j += 1;
            }
            if j >= b.len() || b[j] != b[i] {
                i = j;
                continue;
            }
            j += 1;
        }
        let mut k = j;
        let skip_space = |k: &mut usize| {
            while *k < b.len() && b[*k].is_ascii_whitespace() {
                *k += 1;
            }
        };
        skip_space(&mut k);
        let sep = if k < b.len() { b[k] } else { 0 };
        if !(sep == b':' && quoted || sep == b'=') {
            i = j;
            continue;
        }
        k += 1;
        skip_space(&mut k);
        let escaped = k + 1 < b.len() && b[k] == b'\\' && matches!(b[k + 1], b'"' | b'\'');
        let open = if escaped { k + 1 } else { k };
        let (from, to) = if sep == b':' && open < b.len() && matches!(b[open], b'"' | b'\'') {
            let q = b[open];
            let from = open + 1;
            let mut e = from;
            while e < b.len() {
                if b[e] == b'\\' && !escaped {
                    e += 2;
                    continue;
                }
                if b[e] == q {
                    break;
                }
                e += 1;
            }
            let mut to = e.min(b.len());
            if escaped && to > from && b[to - 1] == b'\\' {
                to -= 1;
            }
            (from, to)
        } else {
            let stop: &[u8] = if sep == b':' {
                b",}] \t\r\n"
            } else {
                b"&;,\"' \t\r\n"
            };
            let mut e = k;
            while e < b.len() && !stop.contains(&b[e]) {
                e += 1;
            }
            (k, e)
        };
        if to > from {
            ranges.push((from, to));
        }
        i = to.max(j);
    }
    ranges
}

/// Lower-case starts of key secrets that [`mask_key_like`] looks for (`eyj`: a JWT).
const SECRET_STARTS: [&str; 5] = [
    "sk-",
    "io-v2-",
    "venice_admin_key_",
    "venice_inference_key_",
    "eyj",
];

/// Bytes a key's secret is made of (base64, base64url, hex, JWT dots).
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
}

/// The length of the secret start at the beginning of `b`, if any: one of [`SECRET_STARTS`],
/// or io.net's shape `<prefix>-v<digit>-` (its `key_prefix` is the caller's choice).
fn secret_start(b: &[u8]) -> Option<usize> {
    if let Some(n) = SECRET_STARTS
        .iter()
        .filter(|p| {
            b.get(..p.len())
                .is_some_and(|l| l.eq_ignore_ascii_case(p.as_bytes()))
        })
        .map(|p| p.len())
        .max()
    {
        return Some(n);
    }
    // Counted no further than a prefix may go (a long word is not one).
    let letters = b
        .iter()
        .take(17)
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let rest = b.get(letters..letters + 4)?;
    ((2..=16).contains(&letters)
        && rest[0] == b'-'
        && rest[1].eq_ignore_ascii_case(&b'v')
        && rest[2].is_ascii_digit()
        && rest[3] == b'-')
        .then_some(letters + 4)
}

/// `s` with every token shaped like a key's secret replaced by `****`: a secret start (see
/// [`secret_start`]) at a word boundary, followed by at least 16 bytes of a key (letters,
/// digits, `-_.~+/=`) that hold a digit or both cases. Words such as `task-management` or
/// `sk-learn` are not keys: a start inside a word does not count, and a short or all-lower
/// tail neither.
pub fn mask_key_like(s: &str) -> Cow<'_, str> {
    let ranges = key_like_ranges(s);
    if ranges.is_empty() {
        return Cow::Borrowed(s);
    }
    Cow::Owned(splice(s, ranges))
}

/// The byte ranges of the tokens [`mask_key_like`] masks.
fn key_like_ranges(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let Some(n) = boundary.then(|| secret_start(&b[i..])).flatten() else {
            i += 1;
            continue;
        };
        let mut end = i + n;
        while end < b.len() && is_key_byte(b[end]) {
            end += 1;
        }
        // Punctuation after a key ends the sentence, not the key.
        while end > i + n && matches!(b[end - 1], b'.' | b',' | b'/') {
            end -= 1;
        }
        let tail = &b[i + n..end];
        let random = tail.iter().any(u8::is_ascii_digit)
            || (tail.iter().any(u8::is_ascii_lowercase) && tail.iter().any(u8::is_ascii_uppercase));
        if tail.len() >= 16 && random {
            ranges.push((i, end));
            i = end;
        } else {
            // A start later in this run has a tail that is a piece of this one (shorter, no
            // more digits or cases): none is masked either. Skipping the run keeps the scan
            // linear (an answer of `sk-sk-sk-…` would otherwise take time quadratic in its size).
            i = end.max(i + 1);
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::MASK;

    /// Issue 20, finding 6: a secret in quoted text, as a field or as a key-shaped token.
    #[test]
    fn secret_fields_and_key_shaped_tokens_in_quoted_text_are_masked() {
        for (text, want) in [
            (
                r#"{"key": "sk-x", "data": {"n": 1"#,
                r#"{"key": "****", "data": {"n": 1"#,
            ),
            (
                r#"{"apiKey":"abc\"def","id":"x"}"#,
                r#"{"apiKey":"****","id":"x"}"#,
            ),
            (
                r#"said {\"value\":\"abc\"} ok"#,
                r#"said {\"value\":\"****\"} ok"#,
            ),
            ("{'api_key': 'zzz', 'n': 1}", "{'api_key': '****', 'n': 1}"),
            (
                r#"{"Secret" : 12345, "n": 1}"#,
                r#"{"Secret" : ****, "n": 1}"#,
            ),
            ("GET /x?key=abc123&offset=0", "GET /x?key=****&offset=0"),
            (r#"{"key": "unterminated"#, r#"{"key": "****"#),
            // Not secret fields, or not written as a field.
            (
                r#"{"apiKeyType": "ADMIN", "key_prefix": "io"}"#,
                r#"{"apiKeyType": "ADMIN", "key_prefix": "io"}"#,
            ),
            (
                "the key: not found; monkey=5; keys=3",
                "the key: not found; monkey=5; keys=3",
            ),
            ("can't find 'key'", "can't find 'key'"),
        ] {
            assert_eq!(scrub_quoted(text), want, "{text}");
        }
        let hex = "26356ffbc95235634c6f11baf36379367b0f2e66d68b1009476bc96265d86713";
        for (text, want) in [
            (
                format!("the key sk-or-v1-{hex} exists."),
                "the key **** exists.",
            ),
            (format!("/keys/sk-or-v1-{hex}/x"), "/keys/****"),
            (
                "VENICE_INFERENCE_KEY_et6LL5rR83jSsWzVgx2bYXpWHMIHfgrI, then".to_string(),
                "****, then",
            ),
            ("made acme-v2-adu4y2hLBf5gQy9WEE7R".to_string(), "made ****"),
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz end".to_string(),
                "jwt **** end",
            ),
            (
                format!("ID {hex}"),
                "ID 26356ffbc95235634c6f11baf36379367b0f2e66d68b1009476bc96265d86713",
            ),
        ] {
            assert_eq!(scrub_quoted(&text), want, "{text}");
        }
        for words in [
            "task-management-system-with-long-words",
            "use sk-learn or sk-image",
            "sk-abcdefghijklmnopqrstuvwxyz",
            "io-v2-short1",
            "consumptionLimits InvalidRequestError e28e82dc-9df2-4b47-b726-d0a222ef2ab5",
            "risk-3f9a2c7e1b4d6f8a0c2e",
        ] {
            assert_eq!(scrub_quoted(words), words);
        }
        assert!(is_secret_field("API-KEY") && is_secret_field("access_token"));
        assert!(!is_secret_field("keys") && !is_secret_field("key_id"));
    }

    /// Issue 20, attacker's pass (F4): a key-shaped token or a secret field's value pieced
    /// apart by something a later step strips (a control or invisible character, an escape
    /// sequence, a line break, an HTML tag), or written with an HTML entity or a JSON escape,
    /// is masked whole; the words around it stay.
    #[test]
    fn secrets_pieced_apart_by_what_is_stripped_are_masked_whole() {
        let key = "sk-mg-v1-NEWSECRETzz0a1b2c3d4e5f60718293a4b5c6d7e8f9";
        let (a, b) = key.split_at(12);
        for sep in [
            "\u{1}",
            "\u{200b}",
            "\u{1b}[1m",
            "\n",
            "\r\n",
            "\t",
            "<b></b>",
            "<span class=x>",
            "\u{ad}",
            "\\u0001",
            "\\n",
            "&#8203;",
        ] {
            let text = format!("key {a}{sep}{b} made");
            let m = scrub_quoted(&text);
            assert_eq!(m, "key **** made", "{text:?}");
        }
        for text in [
            format!("created sk-mg-v1-&#78;{} made", &key[10..]),
            format!("created sk-mg-v1-&#x4E;{} made", &key[10..]),
            format!("created sk&#45;mg-v1-{} made", &key[9..]),
        ] {
            assert_eq!(scrub_quoted(&text), "created **** made", "{text:?}");
        }
        // A key after a line break or a tag is still at a word's start.
        assert_eq!(scrub_quoted(&format!("error\n{key}")), "error\n****");
        assert_eq!(scrub_quoted(&format!("<p>{key}</p>")), "<p>****</p>");
        // White space around `=`, and a secret field's name pieced apart.
        for (text, want) in [
            ("api_key = Qz8vW2nR5tY7 made", "api_key = **** made"),
            ("api_key =Qz8vW2nR5tY7; n=1", "api_key =****; n=1"),
            ("api\u{200b}_key=Qz8vW2nR5tY7 made", "****"),
            ("token&#61;Qz8vW2nR5tY7 made", "****"),
        ] {
            let m = scrub_quoted(text);
            assert!(
                !m.contains("Qz8v") && !m.contains("nR5t"),
                "{text:?} -> {m:?}"
            );
            if want != MASK {
                assert_eq!(m, want, "{text:?}");
            }
        }
        // Text without a secret is left as it is, whatever it holds.
        for words in [
            "<html><head><title>502 Bad Gateway</title></head></html>",
            "a &amp; b &#78; c &bogus; d",
            "line one\nline two\tthree",
            "C:\\new\\u12 path",
            "a < b and c > d",
            "the key: not found; monkey = 5; keys = 3",
            "risk-\u{200b}3f9a2c7e1b",
        ] {
            assert_eq!(scrub_quoted(words), words, "{words:?}");
        }
    }

    /// Scrubbing a large hostile answer stays linear whatever it holds: key starts one after
    /// another, tags and entities never closed, escapes (1 MiB each; quadratic work would take
    /// hours, linear work takes well under a second in a release build and 2 to 11 s in a debug
    /// build on a loaded 2-core machine, so the bound is 60 s: far from both).
    #[test]
    fn scrubbing_a_large_hostile_answer_is_quick() {
        for piece in [
            "sk-",
            "<a",
            "&#",
            "\\u00",
            "\u{1}x",
            "key=",
            "io-v2-",
            "<b></b>sk-",
        ] {
            let text = piece.repeat((1 << 20) / piece.len());
            let t = std::time::Instant::now();
            let _ = scrub_quoted(&text);
            let took = t.elapsed();
            assert!(
                took < std::time::Duration::from_secs(60),
                "{piece:?}: {took:?}"
            );
        }
    }
}
