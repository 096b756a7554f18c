//! Masking: the registered secrets (the admin credential, new keys' secrets) hidden in any text.
//!
//! [`mask`] replaces the secret, its JSON-escaped and its percent-encoded forms in any text; the
//! text helpers call it before they cut, escape or sanitise anything, so no prefix of the secret
//! can survive a cut. Text quoted from an answer is also scrubbed of secrets keyctl never
//! registered ([`scrub_quoted`], in `quoted`), and [`holds_credential`] (in `near_copy`) tells
//! whether a text holds the credential or a near copy of it.

mod near_copy;
mod quoted;
mod shape;
mod view;

use std::borrow::Cow;
use std::sync::RwLock;

use crate::credential::{SECRET_PREFIXES, Secret};

pub use near_copy::{holds_credential, key_prefix_len};
pub use quoted::{is_secret_field, mask_key_like, scrub_quoted};
pub use shape::{looks_like_key, shown};

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

/// Pieces of keys that are public besides the documented key prefixes (the `public` parts of
/// [`SECRET_PREFIXES`], in lower case): the credential variables' names and the usual JWT headers. A window
/// inside one of them tells nothing about a secret (every key of the kind starts so), and
/// masking it would garble messages and other keys.
const PUBLIC: [&str; 10] = [
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
        || SECRET_PREFIXES.iter().any(|p| {
            p.public.as_bytes().windows(window.len()).any(|w| {
                w.iter()
                    .zip(window)
                    .all(|(p, b)| p.to_ascii_lowercase() == *b)
            })
        })
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
pub(super) fn splice(s: &str, mut ranges: Vec<(usize, usize)>) -> String {
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
        // One character short is a near copy.
        assert!(holds_credential("VENICE_ADMIN_KEY_aZ3kP9qLmN2xR7t"));
        assert!(!holds_credential("VENICE_INFERENCE_KEY_Qw8eRt5yUi1oPa4s"));
        register_new("VENICE_INFERENCE_KEY_Qw8eRt5yUi1oPa4s");
        // Its public prefix may stay; nothing after it does.
        let m = mask("the key venice_inference_key_qw8ert5yui1opa4");
        assert!(m.ends_with("****") && !m.contains("qw8e"), "{m}");
    }
}
