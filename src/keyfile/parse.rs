//! The key file parsed with spans: `[[key]]` tables and `[defaults]` / `[defaults.SCOPE]`,
//! every value typed and checked, defaults filled in, names unique per scope. Every refusal is
//! exit 2 as `FILE:LINE: key: message`, and no value that looks like a key is echoed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::ValueEnum;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::probe::{self, Holds};
use super::{DeclaredKey, Field, KeyFile, SETTING_NAMES, Scope, Settings, Sink};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::mask::shown;
use crate::patch::{Amount, ExpirySpec, KeyType, Name, Privacy, Reset};

type Value<'a> = Spanned<DeValue<'a>>;

/// The file being parsed, for messages that name a line.
struct Doc<'a> {
    path: &'a Path,
    text: &'a str,
    /// The offset of each line break, in order: a span's line is found by a binary search
    /// (counting breaks from the start for every field made a 1,000-key file quadratic).
    breaks: Vec<usize>,
    /// Every refusal found so far: the whole file is checked, then all are reported.
    errors: std::cell::RefCell<Vec<Error>>,
}

impl<'a> Doc<'a> {
    fn new(path: &'a Path, text: &'a str) -> Doc<'a> {
        let breaks = text
            .bytes()
            .enumerate()
            .filter_map(|(i, b)| (b == b'\n').then_some(i))
            .collect();
        Doc {
            path,
            text,
            breaks,
            errors: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// The 1-based line of byte offset `at`.
    fn line(&self, at: usize) -> usize {
        let at = at.min(self.text.len());
        self.breaks.partition_point(|&b| b < at) + 1
    }

    fn fail(&self, line: usize, key: &str, msg: impl std::fmt::Display) -> Error {
        Error::usage(format!("{}:{line}: {key}: {msg}", self.path.display()))
    }

    /// Keeps a refusal to report with the others once the whole file is read.
    fn keep(&self, e: Error) {
        self.errors.borrow_mut().push(e);
    }

    /// Every refusal kept, as one error (each on its own `error:` line), or none.
    fn finish(&self) -> Result<()> {
        let mut errors = self.errors.take();
        // In the file's order (a key's fields are read, then checked against its provider).
        let prefix = format!("{}:", self.path.display());
        errors.sort_by_key(|e| {
            let msg = e.to_string();
            msg.strip_prefix(&prefix)
                .and_then(|rest| rest.split(':').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0)
        });
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            n => {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                Err(Error::usage(format!(
                    "{}\nerror: {n} errors in {}; nothing was read or sent",
                    lines.join("\nerror: "),
                    self.path.display()
                )))
            }
        }
    }

    fn at(&self, at: &std::ops::Range<usize>, key: &str, msg: impl std::fmt::Display) -> Error {
        self.fail(self.line(at.start), key, msg)
    }

    fn err<T>(
        &self,
        at: &std::ops::Range<usize>,
        key: &str,
        msg: impl std::fmt::Display,
    ) -> Result<T> {
        Err(self.fail(self.line(at.start), key, msg))
    }
}

/// One table's fields as written (a `[[key]]` or a defaults table).
#[derive(Default)]
struct Raw {
    profile: Option<Field<String>>,
    provider: Option<Field<String>>,
    name: Option<Field<String>>,
    settings: Settings,
    secret_file: Option<Field<PathBuf>>,
    secret_command: Option<Field<Vec<String>>>,
}

/// Parses and checks a key file's text (`path` for messages and relative `secret_file`s)
/// against the config file's profiles. Every refusal in the file is reported (each at its
/// line), not only the first.
pub fn parse(text: &str, path: &Path, config: &Config, now: DateTime<Utc>) -> Result<KeyFile> {
    let doc = Doc::new(path, text);
    let top = DeTable::parse(text).map_err(|e| {
        let line = e.span().map_or(1, |s| doc.line(s.start));
        Error::usage(format!(
            "{}:{line}: {}",
            path.display(),
            scrub_quotes(e.message().trim())
        ))
    })?;
    let top = top.into_inner();
    let mut keys_raw: Vec<(usize, Raw)> = Vec::new();
    let mut defaults = Raw::default();
    let mut scoped: Vec<(Field<String>, Raw)> = Vec::new();
    for (k, v) in top.iter() {
        match k.get_ref().as_ref() {
            "key" => {
                let Some(items) = v.get_ref().as_array() else {
                    doc.keep(doc.at(&k.span(), "key", "write each key as a [[key]] table"));
                    continue;
                };
                for item in items.iter() {
                    let Some(t) = item.get_ref().as_table() else {
                        doc.keep(doc.at(&item.span(), "key", "write each key as a [[key]] table"));
                        continue;
                    };
                    keys_raw.push((doc.line(item.span().start), table(&doc, t, Role::Key)));
                }
            }
            "defaults" => {
                let Some(t) = v.get_ref().as_table() else {
                    doc.keep(doc.at(&k.span(), "defaults", "write [defaults] as a table"));
                    continue;
                };
                let mut own = DeTable::new();
                for (dk, dv) in t.iter() {
                    if let Some(sub) = dv.get_ref().as_table() {
                        let line = doc.line(dk.span().start);
                        let name = Field {
                            value: dk.get_ref().to_string(),
                            line,
                        };
                        scoped.push((name, table(&doc, sub, Role::Defaults)));
                    } else {
                        own.insert(dk.clone(), dv.clone());
                    }
                }
                defaults = table(&doc, &own, Role::Defaults);
            }
            other => doc.keep(doc.at(
                &k.span(),
                &shown(other),
                "unknown key; the file's keys are [[key]] tables and [defaults]",
            )),
        }
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut keys: Vec<DeclaredKey> = Vec::with_capacity(keys_raw.len());
    let mut checks: Vec<Holds> = Vec::new();
    let mut names: HashMap<(Scope, String), usize> = HashMap::new();
    let mut files: HashMap<PathBuf, usize> = HashMap::new();
    // The scopes the keys name as written (a key refused still names one: its scope's
    // defaults are not then said to be unused).
    let written: Vec<String> = keys_raw
        .iter()
        .flat_map(|(_, r)| [&r.profile, &r.provider])
        .filter_map(|f| f.as_ref().map(|f| f.value.clone()))
        .collect();
    for (line, raw) in keys_raw {
        let Some(key) = declared(
            &doc,
            line,
            raw,
            &defaults,
            &scoped,
            config,
            &dir,
            &mut checks,
            now,
        ) else {
            continue;
        };
        if let Some(first) = names.get(&(key.scope.clone(), key.name.clone())) {
            doc.keep(doc.fail(
                line,
                "name",
                format!(
                    "'{}' is declared twice in {} (first at line {}); a name is a key's \
                     identity: give each key its own",
                    shown(&key.name),
                    key.scope.describe(),
                    first
                ),
            ));
            continue;
        }
        names.insert((key.scope.clone(), key.name.clone()), line);
        if let Some(Sink::File(f)) = &key.sink {
            let same = super::sinks::same_file(f);
            if let Some(first) = files.get(&same) {
                doc.keep(doc.fail(
                    key.sink_line.unwrap_or(line),
                    "secret_file",
                    format!(
                        "{} is also the secret_file of the key at line {first} (the same file \
                         however it is written); a secret file is never overwritten: give each \
                         key its own",
                        crate::text::sanitize(&f.display().to_string()),
                    ),
                ));
                continue;
            }
            files.insert(same, line);
        }
        keys.push(key);
    }
    // Defaults for a scope no key uses are most likely a misspelt scope.
    for (name, _) in &scoped {
        if !keys.iter().any(|k| scope_name(&k.scope) == name.value)
            && !written.contains(&name.value)
        {
            doc.keep(doc.fail(
                name.line,
                &format!("defaults.{}", shown(&name.value)),
                "no [[key]] is in this profile or provider; name one a key uses (profile = \
                 \"NAME\" or provider = \"ID\")",
            ));
        }
    }
    doc.finish()?;
    Ok(KeyFile {
        path: path.to_path_buf(),
        keys,
    })
}

fn scope_name(s: &Scope) -> &str {
    match s {
        Scope::Profile(n) | Scope::Provider(n) => n,
    }
}

/// A value with its line.
fn at<T>(line: usize, value: T) -> Field<T> {
    Field { value, line }
}

/// Which table is being read: a key's (`profile`, `provider`, `name` allowed) or a defaults
/// one.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Key,
    Defaults,
}

/// Reads one table's fields, each typed; an unknown key or a bad value is refused (kept in
/// `doc`, the field left out) and the others read.
fn table(doc: &Doc, t: &DeTable, role: Role) -> Raw {
    let mut raw = Raw::default();
    for (k, v) in t.iter() {
        if let Err(e) = field(doc, &mut raw, k, v, role) {
            doc.keep(e);
        }
    }
    if raw.secret_file.is_some() && raw.secret_command.is_some() {
        let line = raw.secret_command.as_ref().map_or(0, |f| f.line);
        doc.keep(doc.fail(
            line,
            "secret_command",
            "give secret_file or secret_command, not both",
        ));
    }
    raw
}

/// Reads one field of a table into `raw`.
fn field(
    doc: &Doc,
    raw: &mut Raw,
    k: &Spanned<std::borrow::Cow<'_, str>>,
    v: &Value,
    role: Role,
) -> Result<()> {
    {
        let key = k.get_ref().as_ref();
        let line = doc.line(k.span().start);
        let s = &mut raw.settings;
        match key {
            "profile" | "provider" | "name" if role == Role::Defaults => {
                return doc.err(
                    &k.span(),
                    key,
                    "belongs in a [[key]] table, not in [defaults] ([defaults.NAME] applies to \
                     the keys of profile or provider NAME)",
                );
            }
            "profile" => raw.profile = Some(at(line, text(doc, key, v)?)),
            "provider" => raw.provider = Some(at(line, text(doc, key, v)?)),
            "name" => {
                let n = text(doc, key, v)?;
                let n: Name = n.parse().map_err(|e: String| doc.fail(line, key, e))?;
                raw.name = Some(at(line, n.0));
            }
            "limit" => s.limit = Some(at(line, cap(doc, key, v)?)),
            "limit_diem" => s.limit_diem = Some(at(line, cap(doc, key, v)?)),
            "limit_vcu" => s.limit_vcu = Some(at(line, cap(doc, key, v)?)),
            "reset" => s.reset = Some(at(line, word::<Reset>(doc, key, v)?)),
            "expires" => s.expires = Some(at(line, expires(doc, key, v)?)),
            "models" => s.models = Some(at(line, models(doc, key, v)?)),
            "disabled" => s.disabled = Some(at(line, boolean(doc, key, v)?)),
            "include_byok_in_limit" => {
                s.include_byok_in_limit = Some(at(line, boolean(doc, key, v)?));
            }
            "privacy" => s.privacy = Some(at(line, word::<Privacy>(doc, key, v)?)),
            "type" => s.kind = Some(at(line, word::<KeyType>(doc, key, v)?)),
            "secret_file" => {
                if role == Role::Defaults {
                    return doc.err(
                        &k.span(),
                        key,
                        "names one key's file: give it in that [[key]] (a secret file is never \
                         overwritten)",
                    );
                }
                let f = text(doc, key, v)?;
                if f.trim().is_empty() {
                    return doc.err(&v.span(), key, "give a path");
                }
                raw.secret_file = Some(at(line, PathBuf::from(f)));
            }
            "secret_command" => raw.secret_command = Some(at(line, command(doc, key, v)?)),
            other => {
                let known = match role {
                    Role::Key => {
                        format!("profile (or provider), name, {}", SETTING_NAMES.join(", "))
                    }
                    Role::Defaults => SETTING_NAMES
                        .iter()
                        .filter(|n| **n != "secret_file")
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                return doc.err(
                    &k.span(),
                    &shown(other),
                    format!("unknown field; a key's fields are {known}"),
                );
            }
        }
    }
    Ok(())
}

fn text(doc: &Doc, key: &str, v: &Value) -> Result<String> {
    match v.get_ref() {
        DeValue::String(s) => Ok(s.to_string()),
        _ => doc.err(&v.span(), key, "must be a string (in double quotes)"),
    }
}

fn boolean(doc: &Doc, key: &str, v: &Value) -> Result<bool> {
    v.get_ref()
        .as_bool()
        .map_or_else(|| doc.err(&v.span(), key, "must be true or false"), Ok)
}

/// An amount (`50`, `12.5`, `"12.50"`) or `"none"` (no cap), kept with its digits.
fn cap(doc: &Doc, key: &str, v: &Value) -> Result<Option<Amount>> {
    let written = match v.get_ref() {
        DeValue::Integer(i) if i.radix() == 10 => i.as_str().replace('_', ""),
        DeValue::Float(f) => f.as_str().replace('_', ""),
        DeValue::String(s) if s.trim().eq_ignore_ascii_case("none") => return Ok(None),
        DeValue::String(s) => s.to_string(),
        _ => {
            return doc.err(
                &v.span(),
                key,
                "must be an amount (50, 12.5) or \"none\" (no cap)",
            );
        }
    };
    written
        .parse::<Amount>()
        .map(Some)
        .map_err(|e| doc.fail(doc.line(v.span().start), key, shown_msg(&written, e)))
}

/// A refusal that quotes the value only when it does not look like a key.
fn shown_msg(value: &str, msg: String) -> String {
    if crate::mask::looks_like_key(value) {
        "the value given is refused (not shown: it looks like a key)".into()
    } else {
        msg
    }
}

/// One of a fixed set of words (`reset`, `privacy`, `type`), in any case.
fn word<T: ValueEnum>(doc: &Doc, key: &str, v: &Value) -> Result<T> {
    let s = text(doc, key, v)?;
    T::from_str(s.trim(), true).map_err(|_| {
        let words: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|w| w.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        doc.fail(
            doc.line(v.span().start),
            key,
            format!("'{}' is not one of {}", shown(&s), words.join(", ")),
        )
    })
}

/// A moment (RFC 3339, a TOML date-time, a date), a duration from plan time, or `"never"`.
fn expires(doc: &Doc, key: &str, v: &Value) -> Result<ExpirySpec> {
    let s = match v.get_ref() {
        DeValue::String(s) => s.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        _ => {
            return doc.err(
                &v.span(),
                key,
                "must be a moment (\"2026-12-31T23:59:59Z\"), a duration (\"90d\") or \"never\"",
            );
        }
    };
    s.parse::<ExpirySpec>()
        .map_err(|e| doc.fail(doc.line(v.span().start), key, shown_msg(&s, e)))
}

/// `"all"` (or `[]`): every model; else an array of model names, each once.
fn models(doc: &Doc, key: &str, v: &Value) -> Result<Option<Vec<String>>> {
    match v.get_ref() {
        DeValue::String(s) if s.trim().eq_ignore_ascii_case("all") => Ok(None),
        DeValue::Array(items) => {
            let mut out: Vec<String> = Vec::new();
            for item in items.iter() {
                let m = text(doc, key, item)?;
                let m = m.trim();
                if m.is_empty() || m.chars().any(char::is_control) {
                    return doc.err(
                        &item.span(),
                        key,
                        "a model name is non-empty text without control characters",
                    );
                }
                if !out.iter().any(|o| o == m) {
                    out.push(m.to_string());
                }
            }
            Ok((!out.is_empty()).then_some(out))
        }
        _ => doc.err(
            &v.span(),
            key,
            "must be an array of model names ([\"a\", \"b\"]) or \"all\"",
        ),
    }
}

/// `secret_command`: the program and its arguments, an array of strings (no shell).
fn command(doc: &Doc, key: &str, v: &Value) -> Result<Vec<String>> {
    let DeValue::Array(items) = v.get_ref() else {
        return doc.err(
            &v.span(),
            key,
            "must be an array of strings: the program, then its arguments (run without a shell)",
        );
    };
    let argv = items
        .iter()
        .map(|i| text(doc, key, i))
        .collect::<Result<Vec<_>>>()?;
    if argv.first().is_none_or(|p| p.trim().is_empty()) {
        return doc.err(&v.span(), key, "give the program to run first");
    }
    Ok(argv)
}

/// A `[[key]]` with its scope resolved, defaults filled in, and every field checked against
/// its provider; `None` when it is refused (each refusal kept in `doc`).
#[allow(clippy::too_many_arguments)]
fn declared(
    doc: &Doc,
    line: usize,
    raw: Raw,
    defaults: &Raw,
    scoped: &[(Field<String>, Raw)],
    config: &Config,
    dir: &Path,
    checks: &mut Vec<Holds>,
    now: DateTime<Utc>,
) -> Option<DeclaredKey> {
    let (scope, provider) = match (&raw.profile, &raw.provider) {
        (Some(_), Some(p)) => {
            doc.keep(doc.fail(p.line, "provider", "give profile or provider, not both"));
            return None;
        }
        (None, None) => {
            doc.keep(doc.fail(
                line,
                "[[key]]",
                "say where the key lives: profile = \"NAME\" (a profile of the config file) or \
                 provider = \"ID\"",
            ));
            return None;
        }
        (Some(p), None) => match config.profile(&p.value) {
            Some(pr) => (Scope::Profile(pr.name.clone()), pr.provider.kind()),
            None => {
                let names: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
                doc.keep(doc.fail(
                    p.line,
                    "profile",
                    format!(
                        "no profile '{}' in the config file {}; the profiles are: {}",
                        shown(&p.value),
                        config.describe(),
                        if names.is_empty() {
                            "(none)".into()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
                return None;
            }
        },
        (None, Some(p)) => match crate::provider::find(&p.value) {
            Some(k) => (Scope::Provider(k.info().id.to_string()), k),
            None => {
                let ids: Vec<&str> = crate::provider::configured()
                    .iter()
                    .map(|k| k.info().id)
                    .collect();
                doc.keep(doc.fail(
                    p.line,
                    "provider",
                    format!(
                        "no provider '{}'; the providers are {}",
                        shown(&p.value),
                        ids.join(", ")
                    ),
                ));
                return None;
            }
        },
    };
    let Some(name) = raw.name else {
        doc.keep(doc.fail(
            line,
            "[[key]]",
            "missing name: a key's name is its identity (unique per profile)",
        ));
        return None;
    };
    let at = match checks.iter().position(|h| h.provider() == provider) {
        Some(i) => i,
        None => {
            checks.push(Holds::new(provider, now));
            checks.len() - 1
        }
    };
    let holds = &checks[at];
    let refused_before = doc.errors.borrow().len();
    let mut settings = raw.settings;
    // The key's own fields, then its scope's defaults: each must be one the provider holds.
    check_all(doc, holds, &settings);
    let own = scoped
        .iter()
        .find(|(n, _)| n.value == scope_name(&scope))
        .map(|(_, r)| r);
    if let Some(d) = own {
        check_all(doc, holds, &d.settings);
        fill(&mut settings, &d.settings, |_| true);
    }
    // [defaults] covers every provider: a field one cannot hold is left out for its keys.
    fill(&mut settings, &defaults.settings, |f| {
        holds.field_of(&defaults.settings, f).is_ok()
    });
    let (sink, sink_line) = match (raw.secret_file, raw.secret_command) {
        (Some(f), _) => (Some(Sink::File(dir.join(f.value))), Some(f.line)),
        (None, Some(c)) => (Some(Sink::Command(program_in(dir, c.value))), Some(c.line)),
        (None, None) => match own
            .and_then(|d| d.secret_command.clone())
            .or_else(|| defaults.secret_command.clone())
        {
            Some(c) => (Some(Sink::Command(program_in(dir, c.value))), Some(c.line)),
            None => (None, None),
        },
    };
    let key = DeclaredKey {
        line,
        scope,
        provider,
        name: name.value,
        settings,
        sink,
        sink_line,
    };
    // A field already refused is not said again as the whole key's refusal.
    if doc.errors.borrow().len() > refused_before {
        return None;
    }
    if let Err(why) = holds.key(&key) {
        doc.keep(doc.fail(line, "[[key]]", why));
        return None;
    }
    Some(key)
}

/// A `secret_command` with its program resolved as the file means it: a relative path with a
/// `/` (`./store.sh`, `bin/store`) against the key file's folder, as `secret_file` is (not
/// against the folder keyctl runs in: cron's is not the file's); a bare name stays one, found on
/// PATH when the command is run.
fn program_in(dir: &Path, mut argv: Vec<String>) -> Vec<String> {
    if let Some(prog) = argv.first_mut()
        && prog.contains('/')
        && Path::new(prog.as_str()).is_relative()
    {
        let joined: PathBuf = dir
            .join(prog.as_str())
            .components()
            .filter(|c| *c != std::path::Component::CurDir)
            .collect();
        // Still a path (`./store.sh` next to a key file given as `keys.toml`), never a bare name
        // looked up on PATH.
        let joined = joined.to_string_lossy().into_owned();
        *prog = if joined.contains('/') {
            joined
        } else {
            format!("./{joined}")
        };
    }
    argv
}

/// Each field set in `s`, checked against the provider: each it cannot hold is kept as a
/// refusal at its line.
fn check_all(doc: &Doc, holds: &Holds, s: &Settings) {
    for (name, line) in probe::set_fields(s) {
        if let Err(why) = holds.field_of(s, name) {
            doc.keep(doc.fail(line, name, why));
        }
    }
}

/// Fills each field `s` leaves out from `from`, where `take` allows that field.
fn fill(s: &mut Settings, from: &Settings, take: impl Fn(&'static str) -> bool) {
    macro_rules! each {
        ($($f:ident => $n:literal),*) => {$(
            if s.$f.is_none() && from.$f.is_some() && take($n) {
                s.$f = from.$f.clone();
            }
        )*};
    }
    each!(
        limit => "limit",
        limit_diem => "limit_diem",
        limit_vcu => "limit_vcu",
        reset => "reset",
        expires => "expires",
        models => "models",
        disabled => "disabled",
        include_byok_in_limit => "include_byok_in_limit",
        privacy => "privacy",
        kind => "type"
    );
}

/// Cuts quoted text longer than 16 characters out of a parser message (it could be a key
/// pasted in the wrong place).
fn scrub_quotes(msg: &str) -> String {
    let mut out = String::new();
    let mut parts = msg.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('"');
        if i % 2 == 0 && part.chars().count() > 16 {
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests;
