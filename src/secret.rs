//! The admin credential as a type, and the one masking step every printed text goes through.
//!
//! A `Secret` is read with a bound (never truncated), stripped of surrounding ASCII whitespace and
//! a leading byte-order mark, and refused when it holds anything an HTTP header cannot carry.
//! Its `Debug` prints `Secret(****)`; the bytes are reached only through [`Secret::expose`],
//! which the HTTP layer alone calls. [`mask`] replaces the secret, its JSON-escaped and its
//! percent-encoded forms in any text; the text helpers call it before they cut, escape or
//! sanitise anything, so no prefix of the secret can survive a cut.

use std::borrow::Cow;
use std::io::Read;
use std::sync::RwLock;

use crate::error::{Error, Result};

/// The longest credential keyctl accepts, after trimming (real admin keys are < 200 bytes).
pub const MAX_SECRET: usize = 4 * 1024;
/// The most keyctl reads from a credential file or standard input.
pub const MAX_SECRET_FILE: usize = 64 * 1024;

/// The admin credential. Never printed: `Debug` shows `Secret(****)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl Secret {
    /// Checks a credential from `source` (a variable name or a file, for messages): surrounding
    /// ASCII whitespace and a leading BOM are stripped; an empty value is `Ok(None)`; inner
    /// whitespace, control or non-ASCII characters, or more than 4 KiB are refused (exit 3).
    pub fn parse(raw: &str, source: &str) -> Result<Option<Secret>> {
        let t = raw
            .trim_start_matches('\u{feff}')
            .trim_matches(|c: char| c.is_ascii_whitespace());
        if t.is_empty() {
            return Ok(None);
        }
        if t.len() > MAX_SECRET {
            return Err(Error::Credential(format!(
                "the credential in {source} is {} bytes, longer than the {MAX_SECRET} bytes keyctl \
                 accepts; check that {source} holds only the admin key",
                t.len()
            )));
        }
        if let Some(bad) = t.chars().find(|c| !c.is_ascii_graphic()) {
            let what = if bad.is_whitespace() {
                "white space inside it"
            } else if bad.is_control() {
                "a control character"
            } else {
                "a non-ASCII character"
            };
            return Err(Error::Credential(format!(
                "the credential in {source} contains {what}, which cannot be sent in an HTTP \
                 header; check that {source} holds only the admin key (nothing was sent)"
            )));
        }
        Ok(Some(Secret(t.to_string())))
    }

    /// The credential itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// More than the bound: nothing was kept.
    TooLarge,
    NotUtf8,
}

/// Reads all of `r` as UTF-8 if it is at most `max` bytes; refuses (never truncates) more.
pub fn read_bounded(r: impl Read, max: usize) -> std::result::Result<String, ReadError> {
    let mut buf = Vec::new();
    r.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() > max {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(buf).map_err(|_| ReadError::NotUtf8)
}

/// The secrets of one kind: the forms that may appear in text (longest first), and every run
/// of [`WINDOW`] bytes of them: any of those in a text is masked, so a server that echoes a
/// secret in a form keyctl does not know (escaped twice, cut, spliced) still cannot show a
/// piece of it that long.
struct Registry {
    /// The secrets as given.
    originals: RwLock<Vec<String>>,
    forms: RwLock<Vec<String>>,
    windows: RwLock<Option<Windows>>,
}

impl Registry {
    const fn new() -> Registry {
        Registry {
            originals: RwLock::new(Vec::new()),
            forms: RwLock::new(Vec::new()),
            windows: RwLock::new(None),
        }
    }
}

/// The admin credential(s) of this run.
static ADMIN: Registry = Registry::new();

/// The secrets of keys this run created: shown once, where the output asks for them, and
/// masked everywhere else (stderr, other fields).
static NEW: Registry = Registry::new();

/// Pieces of keys that are public: documented key prefixes, the credential variables' names
/// and the usual JWT headers. A window inside one of them tells nothing about a secret (every
/// key of the kind starts so), and masking it would garble messages and other keys.
const PUBLIC: [&str; 14] = [
    "venice_admin_key_",
    "venice_inference_key_",
    "sk-or-v1-",
    "io-v2-",
    "ionet_admin_key",
    "modelgates_management_key",
    "novapai_management_key",
    "openrouter_management_key",
    "eyjhbgcioijiuzi1niisinr5cci6ikpxvcj9",
    "eyjhbgcioijsuzi1niisinr5cci6ikpxvcj9",
    "eyjhbgcioijfuzi1niisinr5cci6ikpxvcj9",
    "eyj0exaioijkv1qilcjhbgcioijiuzi1nij9",
    "eyjhbgcioijiuzi1nij9",
    "eyjhbgcioijsuzi1nij9",
];

fn is_public(window: &[u8]) -> bool {
    PUBLIC
        .iter()
        .any(|p| p.as_bytes().windows(window.len()).any(|w| w == window))
}

/// The secret's windows, with a bitset of their first two bytes to skip most positions fast.
struct Windows {
    set: std::collections::HashSet<[u8; WINDOW]>,
    starts: Vec<u64>,
}

impl Windows {
    /// Windows of the secret in ASCII lower case, matched without regard to ASCII case (a URL
    /// host is lower-cased; a server may upper-case what it echoes, and an upper-cased hex key
    /// is the key). Windows of digits only are left out: eight digits of a key tell no more
    /// than a timestamp or a number would, and masking them would corrupt numbers and dates.
    fn new(secret: &[u8]) -> Windows {
        let mut starts = vec![0u64; 65536 / 64];
        let lower = secret.to_ascii_lowercase();
        let set: std::collections::HashSet<[u8; WINDOW]> = lower
            .windows(WINDOW)
            .filter(|w| !w.iter().all(u8::is_ascii_digit))
            .filter(|w| !is_public(w))
            .filter_map(|w| <[u8; WINDOW]>::try_from(w).ok())
            .collect();
        for w in &set {
            let k = usize::from(w[0]) << 8 | usize::from(w[1]);
            starts[k / 64] |= 1 << (k % 64);
        }
        Windows { set, starts }
    }

    fn merge(&mut self, other: Windows) {
        self.set.extend(other.set);
        for (a, b) in self.starts.iter_mut().zip(other.starts) {
            *a |= b;
        }
    }

    /// Whether the window at `b[i..]` is one of the secret's, in any ASCII case.
    fn at(&self, b: &[u8], i: usize) -> bool {
        let k = usize::from(b[i].to_ascii_lowercase()) << 8
            | usize::from(b[i + 1].to_ascii_lowercase());
        self.starts[k / 64] & (1 << (k % 64)) != 0
            && <[u8; WINDOW]>::try_from(&b[i..i + WINDOW])
                .is_ok_and(|w| self.set.contains(&w.map(|c| c.to_ascii_lowercase())))
    }
}

/// The shortest piece of the secret that is masked wherever it appears.
pub const WINDOW: usize = 8;

/// What replaces the secret in every text.
pub const MASK: &str = "****";

/// Registers a credential: from now on [`mask`] hides it in every form, as well as those
/// registered before (a run may know two: the variable's value and the `--api-key-file` one).
pub fn register(secret: &Secret) {
    install(&ADMIN, secret.expose(), false);
}

/// Makes `s` the one secret to mask, forgetting any other (the property tests use secrets
/// `Secret::parse` would refuse, such as non-ASCII ones, to check masking on its own).
pub fn register_text(s: &str) {
    install(&ADMIN, s, true);
}

/// Registers a new key's secret: [`mask`] hides it from then on, in every form, everywhere
/// but the one place the output shows it (which does not go through [`mask`]).
pub fn register_new(s: &str) {
    install(&NEW, s, false);
}

/// Whether `s` holds a registered admin credential or something like it: a "new secret" that
/// does must not be shown. Compared after folding (see [`fold`]: case, invisible characters,
/// controls, escape sequences, white space and fullwidth forms do not count), `s` holds it
/// when it holds the whole credential, or any telling 8-byte window of the credential's secret
/// part (its public prefix removed, see [`key_prefix_len`]; windows of fewer than three
/// distinct bytes, or only of the prefix's characters, tell nothing), also once the separators
/// `-`, `_` and `.` are left out of both (`…ADMINq-8w7e6r-5t4y3u…`), and read backwards. A real key of the credential's own kind shares
/// only the public prefix: the chance that a random tail of 32 characters shares a window of 8
/// with another is below 10^-6.
pub fn holds_credential(s: &str) -> bool {
    let originals = ADMIN
        .originals
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if originals.is_empty() {
        return false;
    }
    let new = fold(s);
    originals
        .iter()
        .any(|c| s.contains(c.as_str()) || like(&fold(c), &new))
}

/// `s` as compared with the credential: what a terminal shows of it (escape sequences,
/// controls and invisible characters dropped, see `visible`), fullwidth ASCII forms
/// (`Ａ`…`ｚ`, `０`…`９`, U+FF01..U+FF5E) read as the ASCII they stand for, without white
/// space, in lower case.
fn fold(s: &str) -> String {
    crate::visible::visible(s)
        .into_iter()
        .map(|v| match v.c {
            c @ '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            c => c,
        })
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Separators a near copy may have inserted (or a key may be written with): left out of both
/// sides of the window comparison.
fn is_separator(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

fn without_separators(s: &str) -> String {
    s.chars().filter(|c| !is_separator(*c)).collect()
}

/// Whether the folded `new` holds the folded credential `cred` whole, or a telling window of
/// its secret part, as written or with separators (`-`, `_`, `.`) left out of both. (Reversed
/// forms are not compared: a reversed window of a random key meets sequences such as
/// `9876543210` in ordinary ones, and any encoding a hostile server might choose is beyond a
/// window rule anyway.)
fn like(cred: &str, new: &str) -> bool {
    let bare_cred = without_separators(cred);
    let bare_new = without_separators(new);
    if cred.len() >= 4 && (new.contains(cred) || bare_new.contains(&bare_cred)) {
        return true;
    }
    let (prefix, tail) = cred.split_at(key_prefix_len(cred));
    // A JWT's header and claims are the same in every key of an issuer and account (io.net's
    // `io-v2-eyJ…`): its signature is the secret part.
    let tail = jwt_signature(tail).unwrap_or(tail);
    let bare_tail = without_separators(tail);
    let telling = |w: &[u8]| {
        let mut distinct: Vec<u8> = w.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        distinct.len() >= 3 && !w.iter().all(|b| prefix.as_bytes().contains(b)) && !is_public(w)
    };
    [new, bare_new.as_str()]
        .into_iter()
        .zip([tail, bare_tail.as_str()])
        .any(|(new, tail)| {
            let new = new.as_bytes();
            if new.len() < WINDOW {
                return false;
            }
            let seen: std::collections::HashSet<&[u8]> = new.windows(WINDOW).collect();
            tail.as_bytes()
                .windows(WINDOW)
                .any(|w| seen.contains(w) && telling(w))
        })
}

/// The signature of a folded JWT (`eyj….eyj….sig`), if `t` is one.
fn jwt_signature(t: &str) -> Option<&str> {
    let mut parts = t.split('.');
    let (h, c, sig) = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && h.starts_with("eyj") && c.starts_with("eyj") && sig.len() >= 16)
        .then_some(sig)
}

/// Documented public starts of keys, in lower case (see [`key_prefix_len`]).
const KEY_PREFIXES: [&str; 4] = [
    "venice_admin_key_",
    "venice_inference_key_",
    "sk-or-v1-",
    "io-v2-",
];

/// The length of the public start of a folded (lower-case) key: a documented prefix, else up
/// to five leading word segments (letters, then digits: `sk-`, `live-`, `v1-`, `acme-`), each
/// ended by `-` or `_`, within the first 40 bytes. A random tail starts with a digit or mixes
/// them among its letters, so it is not taken for a prefix.
pub fn key_prefix_len(s: &str) -> usize {
    if let Some(n) = KEY_PREFIXES
        .iter()
        .filter(|p| s.starts_with(*p))
        .map(|p| p.len())
        .max()
    {
        return n;
    }
    let b = s.as_bytes();
    let (mut i, mut end) = (0, 0);
    for _ in 0..5 {
        let start = i;
        while i < b.len() && b[i].is_ascii_lowercase() {
            i += 1;
        }
        if i == start {
            break;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i < 40 && i < b.len() && matches!(b[i], b'-' | b'_') {
            i += 1;
            end = i;
        } else {
            break;
        }
    }
    end
}

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

/// Text as a later step shows it, with each character's source bytes: escape sequences,
/// controls and invisible characters dropped (see `visible`), HTML tags dropped, HTML entities
/// (`&#78;`, `&#x4e;`, `&amp;`, …) and JSON `\uXXXX`, `\n`, `\r`, `\t` escapes decoded. What is
/// dropped, and line breaks and tabs, are nothing in the joined view (pieces of a word around
/// them become one) and one space in the other (a word before them stays a word).
struct View {
    text: String,
    /// Per character of `text`: its start in `text`, and the source range it stands for.
    chars: Vec<(usize, usize, usize)>,
}

impl View {
    /// Whether `s` holds anything a view would change.
    fn needed(s: &str) -> bool {
        crate::visible::has_controls(s) || s.contains(['<', '&', '\\'])
    }

    fn new(s: &str, joined: bool) -> View {
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
    fn source(&self, a: usize, z: usize) -> Option<(usize, usize)> {
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

fn install(reg: &Registry, s: &str, replace: bool) {
    if s.len() < 4 {
        return;
    }
    let mut forms = vec![
        s.to_string(),
        s.to_ascii_lowercase(),
        s.to_ascii_uppercase(),
    ];
    // JSON-escaped (`"` and `\` become `\"` and `\\`), as it stands inside a JSON string.
    let json = serde_json::to_string(s).unwrap_or_default();
    forms.push(json.trim_matches('"').to_string());
    // Percent-encoded, as in a URL, upper- and lower-case hex.
    let pct =
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    forms.push(lower_hex_escapes(&pct));
    forms.push(pct);
    // As the `url` crate writes it in a path segment (https also escapes `\`).
    for set in [PATH_SEGMENT, SPECIAL_PATH_SEGMENT] {
        let path = percent_encoding::utf8_percent_encode(s, set).to_string();
        forms.push(lower_hex_escapes(&path));
        forms.push(path);
    }
    if let Ok(mut g) = reg.originals.write() {
        if replace {
            g.clear();
        }
        g.push(s.to_string());
    }
    if let Ok(mut g) = reg.forms.write() {
        if replace {
            g.clear();
        }
        g.extend(forms);
        // Longest first, so a longer form is masked before a shorter one inside it.
        g.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        g.dedup();
    }
    if let Ok(mut g) = reg.windows.write() {
        let new = Windows::new(s.as_bytes());
        match g.as_mut() {
            Some(w) if !replace => w.merge(new),
            _ => *g = Some(new),
        }
    }
}

/// The characters `url` escapes in a path segment.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'?')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// A path segment of a special scheme (http, https): `\` is escaped too.
const SPECIAL_PATH_SEGMENT: &percent_encoding::AsciiSet = &PATH_SEGMENT.add(b'\\');

fn lower_hex_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let esc = rest.get(i..i + 3).unwrap_or(&rest[i..]);
        out.push_str(&esc.to_ascii_lowercase());
        rest = &rest[i + esc.len()..];
    }
    out.push_str(rest);
    out
}

/// `s` with every registered form of the secret replaced by `****`, also where escape
/// sequences or control characters were planted inside it (a terminal would show it whole).
pub fn mask(s: &str) -> Cow<'_, str> {
    match mask_with(&ADMIN, s) {
        Cow::Borrowed(b) => mask_with(&NEW, b),
        Cow::Owned(o) => Cow::Owned(mask_with(&NEW, &o).into_owned()),
    }
}

fn mask_with<'a>(reg: &Registry, s: &'a str) -> Cow<'a, str> {
    let Ok(forms) = reg.forms.read() else {
        return Cow::Borrowed(s);
    };
    if forms.is_empty() {
        return Cow::Borrowed(s);
    }
    let mut out = Cow::Borrowed(s);
    for f in forms.iter() {
        if out.contains(f.as_str()) {
            out = Cow::Owned(out.replace(f.as_str(), MASK));
        }
    }
    if crate::visible::has_controls(&out)
        && let Some(m) = mask_through_controls(reg, &out, &forms)
    {
        out = Cow::Owned(m);
    }
    if let Some(m) = mask_windows(reg, &out) {
        out = Cow::Owned(m);
    }
    out
}

/// Masks every run of bytes made of windows of the secret (widened to whole characters).
fn mask_windows(reg: &Registry, s: &str) -> Option<String> {
    let ranges = window_ranges(reg, s.as_bytes());
    if ranges.is_empty() {
        return None;
    }
    Some(splice(s, ranges))
}

/// The merged byte ranges of `b` covered by windows of the registered secret.
fn window_ranges(reg: &Registry, b: &[u8]) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let Ok(guard) = reg.windows.read() else {
        return ranges;
    };
    let Some(windows) = guard.as_ref() else {
        return ranges;
    };
    if b.len() < WINDOW || windows.set.is_empty() {
        return ranges;
    }
    for i in 0..=b.len() - WINDOW {
        if windows.at(b, i) {
            match ranges.last_mut() {
                Some((_, end)) if *end >= i => *end = i + WINDOW,
                _ => ranges.push((i, i + WINDOW)),
            }
        }
    }
    ranges
}

/// Finds the forms, and the windows, in what a terminal would show of `s` (escape sequences,
/// controls and invisible characters dropped) and masks the source ranges they span.
fn mask_through_controls(reg: &Registry, s: &str, forms: &[String]) -> Option<String> {
    let vis = crate::visible::visible(s);
    let mut shown = String::with_capacity(s.len());
    let mut starts = Vec::with_capacity(vis.len());
    for v in &vis {
        starts.push(shown.len());
        shown.push(v.c);
    }
    // The character of `shown` that holds byte `i`.
    let char_at = |i: usize| starts.partition_point(|&st| st <= i).saturating_sub(1);
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut add = |a: usize, z: usize| {
        if z > a && z <= shown.len() {
            ranges.push((vis[char_at(a)].start, vis[char_at(z - 1)].end));
        }
    };
    for f in forms {
        for (at, m) in shown.match_indices(f.as_str()) {
            add(at, at + m.len());
        }
    }
    for (a, z) in window_ranges(reg, shown.as_bytes()) {
        add(a, z);
    }
    if ranges.is_empty() {
        return None;
    }
    Some(splice(s, ranges))
}

/// `s` with each byte range (widened to whole characters) replaced by the mask.
fn splice(s: &str, mut ranges: Vec<(usize, usize)>) -> String {
    ranges.sort_unstable();
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    for (a, z) in ranges {
        let a = floor_char(s, a).max(pos);
        let z = ceil_char(s, z);
        if z <= pos {
            continue;
        }
        out.push_str(&s[pos..a]);
        out.push_str(MASK);
        pos = z;
    }
    out.push_str(&s[pos..]);
    out
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

/// Masks every string (keys included) inside a JSON value, before it is serialised.
pub fn mask_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let Cow::Owned(m) = mask(s) {
                *s = m;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask_json),
        Value::Object(o) => {
            let masked: serde_json::Map<String, Value> = std::mem::take(o)
                .into_iter()
                .map(|(k, mut v)| {
                    mask_json(&mut v);
                    (mask(&k).into_owned(), v)
                })
                .collect();
            *o = masked;
        }
        _ => {}
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Option<Secret>> {
        Secret::parse(s, "TEST_VAR")
    }

    #[test]
    fn surrounding_space_and_bom_are_stripped() {
        for raw in ["abc123", " abc123\t\n", "\u{feff}abc123\r\n", "\tabc123 "] {
            assert_eq!(parse(raw).unwrap().unwrap().expose(), "abc123", "{raw:?}");
        }
        assert!(parse("  \n").unwrap().is_none());
        assert!(parse("\u{feff}").unwrap().is_none());
    }

    #[test]
    fn inner_space_control_non_ascii_and_long_are_refused() {
        for raw in ["ab c", "ab\tc", "ab\u{7}c", "abé", "ab\u{202e}c"] {
            let e = parse(raw).unwrap_err();
            assert_eq!(e.exit_code(), 3, "{raw:?}");
            assert!(!e.to_string().contains(raw), "{e}");
            assert!(e.to_string().contains("TEST_VAR"), "{e}");
        }
        // The documented bound, as a literal: 4 KiB.
        assert!(parse(&"a".repeat(4096)).is_ok());
        assert_eq!(parse(&"a".repeat(4097)).unwrap_err().exit_code(), 3);
    }

    #[test]
    fn debug_never_shows_it() {
        let s = parse("sk-very-secret").unwrap().unwrap();
        assert_eq!(format!("{s:?}"), "Secret(****)");
    }

    /// The documented file bound, as a literal: 64 KiB read, so a key padded with blank lines
    /// up to that still works, and one byte more is refused.
    #[test]
    fn credential_files_are_read_up_to_64_kib() {
        let padded = format!("abc123{}", "\n".repeat(65536 - 6));
        assert_eq!(
            read_bounded(padded.as_bytes(), MAX_SECRET_FILE)
                .unwrap()
                .len(),
            65536
        );
        let over = format!("{padded}\n");
        assert!(matches!(
            read_bounded(over.as_bytes(), MAX_SECRET_FILE),
            Err(ReadError::TooLarge)
        ));
    }

    #[test]
    fn bounded_read_refuses_instead_of_truncating() {
        assert_eq!(read_bounded(&b"abc"[..], 3).unwrap(), "abc");
        assert!(matches!(
            read_bounded(&b"abcd"[..], 3),
            Err(ReadError::TooLarge)
        ));
        assert!(matches!(
            read_bounded(std::io::repeat(0).take(1 << 30), 1024),
            Err(ReadError::TooLarge)
        ));
        assert!(matches!(
            read_bounded(&[0xff, 0xfe][..], 3),
            Err(ReadError::NotUtf8)
        ));
    }

    #[test]
    fn lower_hex() {
        assert_eq!(lower_hex_escapes("a%2Fb%3A%"), "a%2fb%3a%");
    }

    /// The tests that register a secret replace the process's one: one at a time.
    pub(crate) static REGISTRY: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// A server that upper-cases what it echoes (a hex key upper-cased is the key) or mixes
    /// case: every 8-byte piece is masked in any ASCII case.
    #[test]
    fn any_case_is_masked() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let key = "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";
        register_text(key);
        for echo in [
            key.to_ascii_uppercase(),
            format!("bad key {}", key.to_ascii_uppercase()),
            "SK-OR-V1-Ef11F444A0b1".to_string(),
            key[20..40].to_ascii_uppercase(),
        ] {
            let m = mask(&echo);
            assert!(m.contains(MASK), "{echo} -> {m}");
            let up = m.to_ascii_lowercase();
            // Every window but the public prefix's (`sk-or-v1-` is every such key's).
            for w in key.as_bytes().windows(WINDOW).filter(|w| !is_public(w)) {
                let w = std::str::from_utf8(w).unwrap_or_default();
                assert!(!up.contains(w), "{echo} -> {m} keeps {w}");
            }
        }
        // Text that shares no 8-byte piece with the key, in any case, is left as it is.
        assert_eq!(mask("SK-OR-V2 and other words"), "SK-OR-V2 and other words");
        // Nor does a public prefix alone: another key of the kind, a variable's name.
        let other = "sk-or-v1-0000aaaa1111bbbb2222cccc3333dddd";
        assert_eq!(mask(other), other);
    }

    #[test]
    fn public_pieces_are_not_masked_but_the_rest_is() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        register_text("VENICE_ADMIN_KEY_aZ3kP9qLmN2xR7tY");
        assert_eq!(
            mask("set VENICE_ADMIN_KEY or VENICE_INFERENCE_KEY_x"),
            "set VENICE_ADMIN_KEY or VENICE_INFERENCE_KEY_x"
        );
        assert_eq!(mask("KEY_aZ3kP9qL"), MASK);
        assert!(holds_credential("x VENICE_ADMIN_KEY_aZ3kP9qLmN2xR7tY y"));
        // One character short is a near copy (issue 20, finding 7).
        assert!(holds_credential("VENICE_ADMIN_KEY_aZ3kP9qLmN2xR7t"));
        assert!(!holds_credential("VENICE_INFERENCE_KEY_Qw8eRt5yUi1oPa4s"));
        register_new("VENICE_INFERENCE_KEY_Qw8eRt5yUi1oPa4s");
        // Its public prefix may stay; nothing after it does.
        let m = mask("the key venice_inference_key_qw8ert5yui1opa4");
        assert!(m.ends_with("****") && !m.contains("qw8e"), "{m}");
    }

    /// Issue 20, finding 7: a "new secret" like the admin credential is refused; a real key of
    /// its kind, which shares its public prefix, is not.
    #[test]
    fn near_copies_of_the_credential_are_held_and_keys_of_its_kind_are_not() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let admin = "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";
        register_text(admin);
        let tail = &admin[9..];
        for near in [
            admin.to_string(),
            admin[..admin.len() - 1].to_string(),
            admin[1..].to_string(),
            admin.to_ascii_uppercase(),
            format!("{}\u{200b}{}", &admin[..30], &admin[30..]),
            format!("{}\u{1b}[0m{}", &admin[..30], &admin[30..]),
            format!(
                "{}\u{ad}{}\u{feff}{}",
                &admin[..12],
                &admin[12..40],
                &admin[40..]
            ),
            format!("{} {}", &admin[..30], &admin[30..]),
            format!("prefix {admin} suffix"),
            format!("sk-or-v1-{}ZZZZ9999", tail[20..28].to_ascii_uppercase()),
            tail[40..].to_string(),
        ] {
            assert!(holds_credential(&near), "{near:?}");
        }
        // Keys of the kind: the prefix and two more characters shared, or seven of the tail.
        for other in [
            "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",
            "sk-or-v1-ea45e3e0000000000000000000000000000000000000000000000000000000000",
            "SK-OR-V1-EA45E3E",
            "sk-or-v1-",
            "",
        ] {
            assert!(!holds_credential(other), "{other:?}");
        }

        // A window of one repeated character, or of fewer than three, tells nothing.
        register_text("sk-or-v1-aaaaaaaaaaaaaaaababababab1c9f3e7d2a8b4");
        assert!(!holds_credential(
            "sk-or-v1-aaaaaaaaaaaaabababab0d6e2f8a1c7b5"
        ));
        assert!(holds_credential(
            "sk-or-v1-AAAAAAAAAAAAAAAABABABABAB1C9F3E7"
        ));

        // Venice: an inference key made with an admin key shares `VENICE_` and `_KEY_`.
        register_text("VENICE_ADMIN_KEY_QrGWp5uQ67XbSuqJBQfxkY5SusMyjPhP");
        assert!(!holds_credential(
            "VENICE_INFERENCE_KEY_QrV8SYPv4h17vXAeAXbhfAt3baDixpiG"
        ));
        assert!(holds_credential(
            "venice_admin_key_qrgwp5uq67xbsuqjbqfxky5susmyjph"
        ));

        // io.net keys are `io-v2-` and a JWT: header and claims are the same for every key of
        // an account; only the signature counts.
        let claims = "eyJvd25lciI6Ijk1Y2U5MzYxLTQ0N2YtNGVjMC1hNjk4LTc2NGMyYTJkMTViOSJ9";
        let head = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";
        register_text(&format!(
            "io-v2-{head}.{claims}.Xk3vQ9pLm2Zr7TyWq4Ns8Bd1Hf6Jc0Gu"
        ));
        assert!(!holds_credential(&format!(
            "io-v2-{head}.{claims}.Mn5bV2cX8zL1kJ7hG4fD9sA3qW6eR0tY"
        )));
        assert!(holds_credential(&format!(
            "io-v2-{head}.{claims}.Xk3vQ9pLm2Zr7TyWq4Ns8Bd1Hf6Jc0G"
        )));
        // A key of another kind (a custom io.net prefix) holding the same signature piece.
        assert!(holds_credential("acme-v2-x.y.Q9pLm2Zr7TyW"));
    }

    /// The false-positive rate, measured: random keys of the admin key's own kind (hex tails
    /// of 64, alphanumeric tails of 32) are never taken for near copies.
    #[test]
    fn random_keys_of_the_same_kind_are_not_near_copies() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let mut rng = fastrand::Rng::with_seed(20);
        let hex = |rng: &mut fastrand::Rng, n: usize| -> String {
            (0..n)
                .map(|_| char::from(b"0123456789abcdef"[rng.usize(..16)]))
                .collect()
        };
        let alnum = |rng: &mut fastrand::Rng, n: usize| -> String {
            (0..n).map(|_| rng.alphanumeric()).collect()
        };
        for _ in 0..200 {
            register_text(&format!("sk-or-v1-{}", hex(&mut rng, 64)));
            for _ in 0..50 {
                let k = format!("sk-or-v1-{}", hex(&mut rng, 64));
                assert!(!holds_credential(&k), "{k}");
            }
            register_text(&format!("VENICE_ADMIN_KEY_{}", alnum(&mut rng, 32)));
            for _ in 0..50 {
                let k = format!("VENICE_INFERENCE_KEY_{}", alnum(&mut rng, 32));
                assert!(!holds_credential(&k), "{k}");
            }
        }
    }

    #[test]
    fn key_prefixes() {
        for (key, prefix) in [
            ("sk-or-v1-ea45e3e6", "sk-or-v1-"),
            ("venice_admin_key_qrgwp5uq", "venice_admin_key_"),
            ("io-v2-eyjhbgcioi", "io-v2-"),
            ("acme-v2-eyjhbgcioi", "acme-v2-"),
            ("sk-mg-v1-0a1b2c", "sk-mg-v1-"),
            ("sk-live-topsecret-4f9a2c7e1b", "sk-live-topsecret-"),
            ("4f9a2c7e1b", ""),
            ("ab12cd-ef", ""),
            ("a-b-c-d-e-f-g", "a-b-c-d-e-"),
            ("", ""),
        ] {
            assert_eq!(&key[..key_prefix_len(key)], prefix, "{key}");
        }
    }

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

    /// Issue 20, attacker's pass (F5): near copies outside the 8-byte rule as written:
    /// separators inserted every 6 or 7 characters, fullwidth forms.
    #[test]
    fn near_copies_with_separators_or_fullwidth_are_held() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let admin = "sk-mg-v1-ADMINq8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3j2k1l0";
        register_text(admin);
        let tail = &admin[9..];
        let every = |n: usize, sep: &str| -> String {
            let chunks: Vec<String> = tail
                .as_bytes()
                .chunks(n)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            format!("sk-mg-v1-{}", chunks.join(sep))
        };
        let fullwidth: String = admin
            .chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 + 0xfee0).unwrap_or(c),
                c => c,
            })
            .collect();
        for near in [
            every(6, "-"),
            every(7, "-"),
            every(6, "_"),
            every(7, "."),
            every(5, "-"),
            every(3, "-_."),
            fullwidth,
        ] {
            assert!(holds_credential(&near), "{near:?}");
        }
        // Keys of the kind, written with separators, are not.
        for other in [
            "sk-mg-v1-Zx9cV8bN7mQ1wE2rT3yU4iO5pA6sD7fG8hJ9kL0",
            "sk-mg-v1-ADMIN-x9cV8b-N7mQ1w-E2rT3y",
            "sk_mg_v1_",
        ] {
            assert!(!holds_credential(other), "{other:?}");
        }
    }

    /// The false-positive rate after F5, measured on 20,000 more random same-kind pairs: io.net
    /// JWT keys (base64url signatures, which hold `-` and `_`) and `sk-mg-v1-` keys with
    /// alphanumeric tails. None is taken for a near copy.
    #[test]
    fn random_jwt_and_dashed_keys_of_the_same_kind_are_not_near_copies() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let mut rng = fastrand::Rng::with_seed(2020);
        let b64url = |rng: &mut fastrand::Rng, n: usize| -> String {
            const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            (0..n).map(|_| char::from(A[rng.usize(..64)])).collect()
        };
        let alnum = |rng: &mut fastrand::Rng, n: usize| -> String {
            (0..n).map(|_| rng.alphanumeric()).collect()
        };
        let head = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";
        let claims = "eyJvd25lciI6Ijk1Y2U5MzYxLTQ0N2YtNGVjMC1hNjk4LTc2NGMyYTJkMTViOSJ9";
        let mut refused = 0;
        for _ in 0..200 {
            register_text(&format!("io-v2-{head}.{claims}.{}", b64url(&mut rng, 43)));
            for _ in 0..50 {
                let k = format!("io-v2-{head}.{claims}.{}", b64url(&mut rng, 43));
                refused += usize::from(holds_credential(&k));
            }
            register_text(&format!("sk-mg-v1-{}", alnum(&mut rng, 48)));
            for _ in 0..50 {
                let k = format!("sk-mg-v1-{}", alnum(&mut rng, 48));
                refused += usize::from(holds_credential(&k));
            }
        }
        assert_eq!(refused, 0);
    }

    /// Scrubbing a large hostile answer stays linear whatever it holds: key starts one after
    /// another, tags and entities never closed, escapes (1 MiB each; quadratic work would take
    /// hours, linear work takes well under a second in a release build).
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
                took < std::time::Duration::from_secs(10),
                "{piece:?}: {took:?}"
            );
        }
    }
}
