//! Key references: the one grammar by which every command (update, get, revoke, rotate and
//! their `--from-file` lines) names keys — a full id as is, else a name or an id prefix looked
//! up in one listing per run — plus `--match` selection and the checks shared before sending.

use std::collections::HashSet;
use std::path::Path;

use crate::credential::ReadError;
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::key::{Key, Known};
use crate::output;
use crate::provider::{Api, ProviderKind};
use crate::session::Session;
use crate::settings::MAX_KEY_FILE;
use crate::text::sanitize;

/// The shortest id prefix that names a key.
pub const MIN_PREFIX: usize = 6;

/// How one reference is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref<'a> {
    /// A full id in the provider's own form: used as is, with no listing read.
    Id(&'a str),
    /// `name:TEXT`: an exact name only.
    Name(&'a str),
    /// `id:TEXT` that is not a full id: an exact id, else a unique prefix.
    IdPart(&'a str),
    /// Anything else: an exact name, else an exact id, else a unique id prefix.
    Any(&'a str),
}

impl<'a> Ref<'a> {
    pub fn parse(p: ProviderKind, text: &'a str) -> Ref<'a> {
        if let Some(name) = text.strip_prefix("name:") {
            return Ref::Name(name);
        }
        if let Some(id) = text.strip_prefix("id:") {
            return if is_full_id(p, id) {
                Ref::Id(id)
            } else {
                Ref::IdPart(id)
            };
        }
        if is_full_id(p, text) {
            Ref::Id(text)
        } else {
            Ref::Any(text)
        }
    }

    fn needs_listing(self) -> bool {
        !matches!(self, Ref::Id(_))
    }
}

/// Whether `s` is a whole key id as the provider writes it: a 36-character UUID (io.net and
/// Venice and their kind), 64 hex digits (the OpenRouter-style APIs' key hash).
pub fn is_full_id(p: ProviderKind, s: &str) -> bool {
    match p.info().api {
        Api::OpenRouter => s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        Api::Venice | Api::Ionet => s.len() == 36 && uuid::Uuid::try_parse(s).is_ok(),
    }
}

/// Resolves every reference to a key id before anything is sent: full ids as they are, the
/// others against one listing (read only when one of them needs it, through `session`); keys
/// `glob` selects are added after. Failures are collected and reported together: no match is
/// exit 4 with the nearest names, several matches exit 2 with each candidate; `nothing` says
/// what did not happen ("nothing was sent"). `missing` is the error for a run with no
/// credential (a dry run) that has to read the listing.
pub async fn resolve(
    p: ProviderKind,
    session: Option<&Session>,
    refs: Vec<String>,
    glob: Option<&str>,
    nothing: &str,
    missing: impl FnOnce() -> Error,
) -> Result<Vec<String>> {
    for r in &refs {
        crate::provider::refuse_secret_id(p.info(), r)?;
        // Behind `name:` or `id:` it is the same pasted secret, and would be echoed whole in
        // the no-match message.
        if let Some(t) = r.strip_prefix("name:").or_else(|| r.strip_prefix("id:")) {
            crate::provider::refuse_secret_id(p.info(), t)?;
        }
    }
    let matcher = glob.map(name_glob).transpose()?;
    let wanted: Vec<Ref> = refs.iter().map(|r| Ref::parse(p, r)).collect();
    if matcher.is_none() && !wanted.iter().any(|r| r.needs_listing()) {
        return Ok(unique_keys(refs));
    }
    let Some(s) = session else {
        let first = wanted.iter().find(|r| r.needs_listing());
        return Err(match first {
            Some(Ref::Any(t) | Ref::Name(t) | Ref::IdPart(t)) => Error::Credential(format!(
                "{p}: '{}' is not a full key id: finding a key by its name or an id prefix \
                 reads the key list, which needs the credential ({}); {nothing}",
                sanitize(t),
                missing()
            )),
            _ => missing(),
        });
    };
    let listing = s.listing().await?;
    let index = Index::new(listing);
    let mut ids = Vec::with_capacity(refs.len());
    let mut errors: Vec<Error> = Vec::new();
    let mut n_failed = 0usize;
    for r in wanted {
        // Near names are looked for only for the failures the message shows (each is a pass
        // over every name: 10,000 mistyped lines against 10,000 keys would take minutes).
        match find(p, &index, r, errors.len() < 10) {
            Ok(id) => ids.push(id),
            Err(e) => {
                n_failed += 1;
                if errors.len() < 10 {
                    errors.push(e);
                }
            }
        }
    }
    if let Some(first) = errors.first() {
        return Err(combine(first, &errors, n_failed, nothing));
    }
    if let Some(m) = &matcher {
        let matched = select_from(listing, m);
        let glob = sanitize(glob.unwrap_or_default());
        if matched.is_empty() {
            // A mistyped glob in a cron line must not look like a run that did its work.
            output::warn(&format!(
                "--match {glob}: no key's name matches (names are matched case-sensitively; \
                 keyctl list shows them)"
            ));
        } else {
            output::diag(&format!(
                "--match {glob}: selected {} key(s)",
                matched.len()
            ));
        }
        ids.extend(matched);
    }
    Ok(unique_keys(ids))
}

/// [`resolve`] in a run that has its session (the credential is there, so the listing can
/// always be read).
pub async fn resolve_in(
    s: &Session,
    refs: Vec<String>,
    glob: Option<&str>,
    nothing: &str,
) -> Result<Vec<String>> {
    resolve(s.p, Some(s), refs, glob, nothing, || {
        Error::Internal("a session without a credential".into())
    })
    .await
}

/// The listing by name and by id, built once per run (a file of 10,000 names is not 10,000
/// scans of the listing).
struct Index<'a> {
    all: &'a [Key],
    names: std::collections::HashMap<&'a str, Vec<&'a Key>>,
    ids: HashSet<&'a str>,
    /// Each id once, in ASCII lower case, sorted, with its place in the listing: an id prefix
    /// is a binary search, not a pass over every key (a file of 20,000 references against a
    /// large account would be quadratic).
    folded: Vec<(String, usize)>,
}

impl<'a> Index<'a> {
    fn new(all: &'a [Key]) -> Index<'a> {
        let mut names: std::collections::HashMap<&str, Vec<&Key>> =
            std::collections::HashMap::with_capacity(all.len());
        let mut ids: HashSet<&str> = HashSet::with_capacity(all.len());
        let mut folded = Vec::with_capacity(all.len());
        for (i, k) in all.iter().enumerate() {
            // A key a paged listing shows twice (offsets shifted by a key made between two
            // pages) is one key, not two by its name.
            if !k.id.is_empty() && !ids.insert(k.id.as_str()) {
                continue;
            }
            if !k.id.is_empty() {
                folded.push((k.id.to_ascii_lowercase(), i));
            }
            if let Known::Value(n) = &k.name {
                names.entry(n.as_str()).or_default().push(k);
            }
        }
        folded.sort_unstable();
        Index {
            all,
            names,
            ids,
            folded,
        }
    }
}

/// One reference against the listing; `suggest`: look for near names when none matches.
fn find(p: ProviderKind, index: &Index, r: Ref, suggest: bool) -> Result<String> {
    let listing = index.all;
    let named = |t: &str| -> Vec<&Key> { index.names.get(t).cloned().unwrap_or_default() };
    let exact_id = |t: &str| index.ids.get(t).map(|id| id.to_string());
    let (text, by_name, by_id) = match r {
        Ref::Id(id) => return Ok(id.to_string()),
        Ref::Name(t) => (t, true, false),
        Ref::IdPart(t) => (t, false, true),
        Ref::Any(t) => (t, true, true),
    };
    if text.trim().is_empty() {
        return Err(Error::usage(format!("{p}: an empty key reference")));
    }
    // Keys whose id is `text` or starts with it (6 characters or more), case folded.
    let by_prefix = |t: &str| -> Vec<&Key> {
        if t.chars().count() < MIN_PREFIX && !index.ids.contains(t) {
            return Vec::new();
        }
        let lower = t.to_ascii_lowercase();
        let from = index
            .folded
            .partition_point(|(id, _)| id.as_str() < lower.as_str());
        let mut at: Vec<usize> = index.folded[from..]
            .iter()
            .take_while(|(id, _)| id.starts_with(&lower))
            .map(|&(_, i)| i)
            .collect();
        // In listing order, as the candidates are shown.
        at.sort_unstable();
        at.into_iter().filter_map(|i| listing.get(i)).collect()
    };
    if by_name {
        match named(text).as_slice() {
            [] => {}
            // A name that is also another key's id or the start of one (a short id pasted
            // from a table) names two keys: neither is guessed.
            [k] if !k.id.is_empty() && by_id => {
                let mut both: Vec<&Key> = vec![k];
                both.extend(by_prefix(text).into_iter().filter(|o| o.id != k.id));
                if both.len() == 1 {
                    return Ok(k.id.clone());
                }
                return Err(Error::usage(format!(
                    "{p}: '{t}' is the name of one key and the start of the id of another; \
                     say which with name:{t} or id:{t}{}",
                    candidates(&both),
                    t = sanitize(text)
                )));
            }
            [k] if !k.id.is_empty() => return Ok(k.id.clone()),
            [_] => {
                return Err(Error::Provider {
                    provider: p.info().name,
                    status: None,
                    message: format!(
                        "the key named '{}' has no id in the key list",
                        sanitize(text)
                    ),
                });
            }
            several => {
                return Err(Error::usage(format!(
                    "{p}: {} keys are named '{}'; name one by its id{}",
                    several.len(),
                    sanitize(text),
                    candidates(several)
                )));
            }
        }
    }
    if by_id {
        if let Some(id) = exact_id(text) {
            return Ok(id);
        }
        let n = text.chars().count();
        if n >= MIN_PREFIX {
            let hits = by_prefix(text);
            match hits.as_slice() {
                [] => {}
                [k] => return Ok(k.id.clone()),
                several => {
                    return Err(Error::usage(format!(
                        "{p}: {} keys have an id starting with '{}'; give more of the id{}",
                        several.len(),
                        sanitize(text),
                        candidates(several)
                    )));
                }
            }
        } else if !by_name {
            return Err(Error::usage(format!(
                "{p}: id:{} is too short: an id prefix needs at least {MIN_PREFIX} characters",
                sanitize(text)
            )));
        }
    }
    let what = match (by_name, by_id) {
        (true, false) => "no key is named",
        (false, true) => "no key id starts with",
        _ => "no key is named, or has an id starting with,",
    };
    let near = if suggest {
        nearest(listing, text)
    } else {
        Vec::new()
    };
    Err(Error::Unresolved {
        provider: p.info().name,
        message: format!(
            "{what} '{}' (among {} keys; {})",
            sanitize(text),
            listing.len(),
            if by_id && suggest && short_prefix(listing, text) {
                format!("an id prefix needs at least {MIN_PREFIX} characters")
            } else if by_name && text.contains(['*', '?', '[']) {
                format!("a pattern selects keys with --match '{}'", sanitize(text))
            } else if near.is_empty() {
                "keyctl list shows the names and ids".to_string()
            } else {
                format!("did you mean {}?", near.join(", "))
            }
        ),
    })
}

/// Whether `text`, shorter than an id prefix may be, starts some key's id (a short id typed
/// from memory): the no-match message then says how long a prefix must be.
fn short_prefix(listing: &[Key], text: &str) -> bool {
    text.len() < MIN_PREFIX
        && listing.iter().any(|k| {
            k.id.get(..text.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(text))
        })
}

/// Each candidate of an ambiguous reference, one per line: id and name (the first 10).
fn candidates(keys: &[&Key]) -> String {
    let mut out = String::new();
    for k in keys.iter().take(10) {
        out.push_str(&format!(
            "\n  {}  {}",
            sanitize(&k.id),
            k.name
                .value()
                .map(|n| sanitize(n))
                .unwrap_or_else(|| "(no name)".into())
        ));
    }
    if keys.len() > 10 {
        out.push_str(&format!("\n  ... and {} more", keys.len() - 10));
    }
    out
}

/// Up to 3 names nearest to `text` (edit distance, case folded), the closest first; only names
/// close enough to be a slip of the keyboard.
fn nearest(listing: &[Key], text: &str) -> Vec<String> {
    let t = text.to_lowercase();
    let within = (t.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, String)> = listing
        .iter()
        .filter_map(|k| k.name.value().cloned())
        .filter_map(|n| {
            let d = strsim::levenshtein(&t, &n.to_lowercase());
            (d <= within).then_some((d, n))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| sanitize(&n))
        .collect()
}

/// The reference errors of a run as one: the first one's class; all of them (up to 10) listed
/// when there are several.
fn combine(first: &Error, all: &[Error], n: usize, nothing: &str) -> Error {
    let text = |e: &Error| e.to_string();
    let message = if n == 1 {
        // Candidates follow the first line: what did not happen goes before them.
        match text(first).split_once('\n') {
            Some((head, rest)) => format!("{head}; {nothing}:\n{rest}"),
            None => format!("{}; {nothing}", text(first)),
        }
    } else {
        // One provider for the run: named once, not on every line.
        let inner = |e: &Error| {
            let t = text(e);
            match e {
                Error::Unresolved { message, .. } => message.clone(),
                _ => t.split_once(": ").map_or(t.clone(), |(_, m)| m.to_string()),
            }
        };
        format!(
            "{n} key references do not name one key, {nothing}:\n  {}{}",
            all.iter().map(inner).collect::<Vec<_>>().join("\n  "),
            if n > all.len() {
                format!("\n  ... and {} more", n - all.len())
            } else {
                String::new()
            }
        )
    };
    match first {
        Error::Unresolved { provider, .. } => Error::Unresolved {
            provider,
            message: message
                .strip_prefix(&format!("{provider}: "))
                .unwrap_or(&message)
                .to_string(),
        },
        Error::Usage(_) => Error::Usage(message),
        e => e.clone(),
    }
}

/// A `--match` glob on key names (case-sensitive); a bad one is exit 2.
pub fn name_glob(glob: &str) -> Result<globset::GlobMatcher> {
    Ok(name_pattern("--match", glob)?.compile_matcher())
}

/// A glob on key names given to `flag` (`--match`, `--exclude`): a bad one is exit 2, and so
/// is a key's secret pasted in its place (no glob characters, a secret's prefix), refused before
/// anything is read and masked from then on.
pub fn name_pattern(flag: &str, glob: &str) -> Result<globset::Glob> {
    if !glob.contains(['*', '?', '[', '{']) && crate::provider::secret_shaped(glob) {
        crate::mask::register_new(glob.trim());
        return Err(Error::usage(format!(
            "{flag} is given a key's secret, not a glob of names (e.g. 'ci-*'); nothing was read \
             or sent"
        )));
    }
    globset::Glob::new(glob).map_err(|e| Error::usage(format!("{flag}: bad glob: {e}")))
}

/// The ids of the keys whose name matches, in listing order.
fn select_from(listing: &[Key], m: &globset::GlobMatcher) -> Vec<String> {
    listing
        .iter()
        .filter(|k| k.name.value().is_some_and(|n| m.is_match(n)))
        .map(|k| k.id.clone())
        .filter(|id| !id.is_empty())
        .collect()
}

/// Keys in input order without repeats (linear time); one warning for all repeats.
pub fn unique_keys(keys: Vec<String>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::with_capacity(keys.len());
    let mut out = Vec::with_capacity(keys.len());
    let (mut repeats, mut example) = (0usize, None);
    for k in keys {
        if seen.contains(&k) {
            repeats += 1;
            example.get_or_insert(k);
        } else {
            seen.insert(k.clone());
            out.push(k);
        }
    }
    if let Some(k) = example {
        output::warn(&format!(
            "{repeats} key(s) named more than once (e.g. {}); each key is handled once",
            sanitize(&k)
        ));
    }
    out
}

/// Every key id must make its request (`build`) before anything is sent: one that cannot stops
/// the run, and the message lists the first 10 (`nothing`: what did not happen). A flag the
/// provider does not support is reported as it is.
pub fn check_keys(
    keys: &[String],
    nothing: &str,
    build: impl Fn(&str) -> Result<()>,
) -> Result<()> {
    let mut bad = Vec::new();
    let mut n_bad = 0usize;
    for k in keys {
        match build(k) {
            Ok(_) => {}
            Err(e @ Error::Unsupported { .. }) => return Err(e),
            Err(e) => {
                n_bad += 1;
                if bad.len() < 10 {
                    bad.push(e.to_string());
                }
            }
        }
    }
    match n_bad {
        0 => Ok(()),
        1 if bad[0].ends_with(nothing) => Err(Error::usage(bad[0].clone())),
        1 => Err(Error::usage(format!("{}; {nothing}", bad[0]))),
        n => Err(Error::usage(format!(
            "{n} key ids are invalid, {nothing}:\n  {}{}",
            bad.join("\n  "),
            if n > bad.len() {
                format!("\n  ... and {} more", n - bad.len())
            } else {
                String::new()
            }
        ))),
    }
}

/// Key references from the command line and `--from-file` (bounded), in order, without
/// repeats; none (for `--match`) is allowed.
pub async fn gather(
    keys: Vec<String>,
    from_file: Option<&Path>,
    cancel: &Cancel,
) -> Result<Vec<String>> {
    let mut all = keys;
    if let Some(path) = from_file {
        let shown = path.display();
        let text = read_list(path, "one key id or name per line", cancel).await?;
        all.extend(list_lines(&text));
        if all.is_empty() {
            return Err(Error::usage(format!(
                "--from-file {shown}: no keys in it (one id or name per line; # starts a comment)"
            )));
        }
    }
    Ok(unique_keys(all))
}

/// The references of a `--from-file` text: one per line, trimmed; `#` starts a comment at the
/// start of a line or after white space (a name may hold `#` inside it), blank lines skipped.
pub fn list_lines(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .map(|l| {
            let cut = l
                .char_indices()
                .find(|&(i, c)| {
                    c == '#' && l[..i].chars().next_back().is_none_or(char::is_whitespace)
                })
                .map_or(l.len(), |(i, _)| i);
            l[..cut].trim()
        })
        .filter(|l| !l.is_empty())
        .map(str::to_string)
}

/// The text of a `--from-file` list (a file, or `-` for standard input), bounded, without a
/// leading byte-order mark; `what` says what each line holds, for the messages.
pub async fn read_list(path: &Path, what: &str, cancel: &Cancel) -> Result<String> {
    let shown = path.display();
    let read = crate::input::read_input(path, MAX_KEY_FILE, cancel).await?;
    let text = read.map_err(|e| {
        Error::usage(match e {
            ReadError::TooLarge => format!(
                "--from-file {shown}: larger than {} MiB; split it into several runs",
                MAX_KEY_FILE / 1024 / 1024
            ),
            ReadError::NotUtf8 => format!("--from-file {shown}: not UTF-8 text ({what})"),
            ReadError::Io(e) => format!("--from-file {shown}: {e}"),
        })
    })?;
    let mut text = text;
    let bom = text.len() - text.trim_start_matches('\u{feff}').len();
    text.drain(..bom);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, name: &str) -> Key {
        let mut k = ProviderKind::ModelGates.unread(id);
        k.name = Known::Value(name.to_string());
        k
    }

    const A: &str = "51150bbe0000000000000000000000000000000000000000000000000000000a";
    const B: &str = "51150bbf0000000000000000000000000000000000000000000000000000000b";
    const C: &str = "c0ffee000000000000000000000000000000000000000000000000000000000c";

    fn listing() -> Vec<Key> {
        vec![
            key(A, "ci-agent-08"),
            key(B, "ci-agent-09"),
            key(C, "prod"),
            key("h1", "dup"),
            key("h2", "dup"),
        ]
    }

    #[test]
    fn full_ids_by_provider_form() {
        let gm = ProviderKind::ModelGates;
        assert!(is_full_id(gm, A));
        assert!(!is_full_id(gm, &A[..63]));
        assert!(!is_full_id(gm, "ci-agent-08"));
        let v = ProviderKind::Venice;
        assert!(is_full_id(v, "e28e82dc-9df2-4b47-b726-d0a222ef2ab5"));
        assert!(!is_full_id(v, "e28e82dc9df24b47b726d0a222ef2ab5"));
        assert!(!is_full_id(v, A));
        assert_eq!(Ref::parse(gm, A), Ref::Id(A));
        assert_eq!(Ref::parse(gm, &format!("id:{A}")), Ref::Id(A));
        assert_eq!(Ref::parse(gm, "id:51150b"), Ref::IdPart("51150b"));
        assert_eq!(Ref::parse(gm, "name:id:x"), Ref::Name("id:x"));
        assert_eq!(Ref::parse(gm, "prod"), Ref::Any("prod"));
    }

    #[test]
    fn names_then_ids_then_prefixes() {
        let l = listing();
        let gm = ProviderKind::ModelGates;
        let index = Index::new(&l);
        let f = |t: &str| find(gm, &index, Ref::parse(gm, t), true);
        assert_eq!(f("ci-agent-08").unwrap(), A);
        assert_eq!(f("c0ffee").unwrap(), C);
        assert_eq!(f("h1").unwrap(), "h1");
        assert_eq!(f("51150bbf").unwrap(), B);
        assert_eq!(f("name:prod").unwrap(), C);
        // A prefix that two ids share, and a name two keys carry: exit 2 with the candidates.
        let e = f("51150b").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains(A) && e.to_string().contains("ci-agent-09"));
        let e = f("dup").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("h1") && e.to_string().contains("h2"));
        // Too short to be a prefix; a name only; nothing close.
        assert_eq!(f("id:51150").unwrap_err().exit_code(), 2);
        assert_eq!(f("name:c0ffee").unwrap_err().exit_code(), 4);
        let e = f("ci-agent-8").unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert!(
            e.to_string()
                .contains("did you mean ci-agent-08, ci-agent-09?"),
            "{e}"
        );
        let e = f("zzzzzzzzzzzz").unwrap_err();
        assert!(!e.to_string().contains("did you mean"), "{e}");
    }

    #[test]
    fn comments_start_at_a_line_or_after_white_space() {
        let got: Vec<String> = list_lines("# head\nteam#3\n a # note\n\n#x\nb\t#c").collect();
        assert_eq!(got, ["team#3", "a", "b"]);
    }
}
