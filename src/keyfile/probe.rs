//! Whether a provider can hold a declared field: the field alone is run through the
//! provider's own create and update builders (the ones `keyctl support` tabulates), so the
//! key file refuses exactly what `create` and `update` refuse, with their words.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{DeclaredKey, Field, Settings};
use crate::newkey::NewKey;
use crate::patch::{Change, Patch};
use crate::provider::{BaseUrl, ProviderKind};

impl Settings {
    /// The settings set here, by their file names, with the line each was written on.
    pub fn fields(&self) -> Vec<(&'static str, usize)> {
        set_fields(self)
    }

    /// These settings with only the field `name` (a file name) kept.
    pub fn only(&self, name: &str) -> Settings {
        only(self, name)
    }
}

/// The settings set in `s`, by their file names, with the line each was written on.
pub fn set_fields(s: &Settings) -> Vec<(&'static str, usize)> {
    fn at<T>(f: &Option<Field<T>>) -> Option<usize> {
        f.as_ref().map(|f| f.line)
    }
    [
        ("limit", at(&s.limit)),
        ("limit_diem", at(&s.limit_diem)),
        ("limit_vcu", at(&s.limit_vcu)),
        ("reset", at(&s.reset)),
        ("expires", at(&s.expires)),
        ("models", at(&s.models)),
        ("disabled", at(&s.disabled)),
        ("include_byok_in_limit", at(&s.include_byok_in_limit)),
        ("privacy", at(&s.privacy)),
        ("type", at(&s.kind)),
    ]
    .into_iter()
    .filter_map(|(n, l)| l.map(|l| (n, l)))
    .collect()
}

/// `s` with only the field `name` (a file name) kept.
fn only(s: &Settings, name: &str) -> Settings {
    let mut one = Settings::default();
    match name {
        "limit" => one.limit = s.limit.clone(),
        "limit_diem" => one.limit_diem = s.limit_diem.clone(),
        "limit_vcu" => one.limit_vcu = s.limit_vcu.clone(),
        "reset" => one.reset = s.reset.clone(),
        "expires" => one.expires = s.expires.clone(),
        "models" => one.models = s.models.clone(),
        "disabled" => one.disabled = s.disabled.clone(),
        "include_byok_in_limit" => one.include_byok_in_limit = s.include_byok_in_limit.clone(),
        "privacy" => one.privacy = s.privacy.clone(),
        "type" => one.kind = s.kind.clone(),
        _ => {}
    }
    one
}

/// Whether a provider holds a field's value, else why not.
type Answer = Result<(), String>;

/// One provider's builders, for checking declared fields; each answer is kept by field and
/// value (a thousand keys with the same limit are checked once).
pub struct Holds {
    p: ProviderKind,
    base: Option<BaseUrl>,
    now: DateTime<Utc>,
    seen: RefCell<HashMap<(&'static str, String), Answer>>,
}

impl Holds {
    pub fn new(p: ProviderKind, now: DateTime<Utc>) -> Holds {
        Holds {
            p,
            base: BaseUrl::parse(p.info().base_url).ok(),
            now,
            seen: RefCell::new(HashMap::new()),
        }
    }

    /// The provider these answers are for.
    pub fn provider(&self) -> ProviderKind {
        self.p
    }

    /// Whether the provider can hold `s`'s field `name` as written: a create or an update
    /// with it alone is built. Else why not (the builders' own words).
    pub fn field_of(&self, s: &Settings, name: &'static str) -> Result<(), String> {
        let one = only(s, name);
        let value = super::setting_values(&one)
            .into_iter()
            .map(|(_, v)| v.to_string())
            .collect::<String>();
        if let Some(known) = self.seen.borrow().get(&(name, value.clone())) {
            return known.clone();
        }
        let answer = self.field_alone(&one, name);
        self.seen.borrow_mut().insert((name, value), answer.clone());
        answer
    }

    fn field_alone(&self, one: &Settings, name: &str) -> Result<(), String> {
        let patch = one
            .patch(self.now)
            .map_err(|e| in_file_terms(&e.to_string()))?;
        let Some(base) = &self.base else {
            return Ok(());
        };
        let kind = one.kind.as_ref().map(|f| f.value);
        let mut create_settings = patch.clone();
        create_settings.disabled = None;
        let new = NewKey {
            name: "probe".into(),
            kind,
            settings: create_settings,
        };
        let create = if name == "disabled" {
            Err(None)
        } else {
            self.p.build_create(base, &new).map(|_| ()).map_err(Some)
        };
        if create.is_ok() {
            return Ok(());
        }
        let update = if name == "type" {
            Err(None)
        } else {
            self.p
                .build_update(base, self.p.info().sample_key, &patch)
                .map(|_| ())
                .map_err(Some)
        };
        match (update, create) {
            (Ok(()), _) => Ok(()),
            (Err(Some(e)), _) | (Err(None), Err(Some(e))) => Err(format!(
                "{} cannot hold it ({})",
                self.p.info().name,
                in_file_terms(&e.to_string())
            )),
            (Err(None), _) => Err(format!("{} cannot hold it", self.p.info().name)),
        }
    }

    /// Whether a create of the whole key is built (its name and settings together; an expiry
    /// left out, as a moment may already be past for a key that exists). Else why not.
    pub fn key(&self, key: &DeclaredKey) -> Result<(), String> {
        let Some(base) = &self.base else {
            return Ok(());
        };
        let (mut new, _) = key.new_key(self.now).map_err(|e| e.to_string())?;
        new.settings.expires = Change::Keep;
        self.p.build_create(base, &new).map(|_| ()).map_err(|e| {
            format!(
                "{} cannot create this key: {}",
                self.p.info().name,
                in_file_terms(&e.to_string())
            )
        })
    }
}

/// A builder's refusal in the key file's words: the flags it names (`--limit-diem`,
/// `--disable/--enable`) as the fields a key file writes (`limit_diem`, `disabled`).
pub fn in_file_terms(msg: &str) -> String {
    const FLAGS: [(&str, &str); 13] = [
        ("--disable/--enable", "disabled"),
        ("--include-byok-in-limit", "include_byok_in_limit"),
        ("--limit-diem", "limit_diem"),
        ("--limit-vcu", "limit_vcu"),
        ("--limit", "limit"),
        ("--expires", "expires"),
        ("--reset", "reset"),
        ("--models", "models"),
        ("--privacy", "privacy"),
        ("--name", "name"),
        ("--type", "type"),
        ("--disable", "disabled = true"),
        ("--enable", "disabled = false"),
    ];
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    'scan: while !rest.is_empty() {
        if rest.starts_with("--") {
            for (flag, field) in FLAGS {
                let Some(after) = rest.strip_prefix(flag) else {
                    continue;
                };
                if after
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-'))
                {
                    out.push_str(field);
                    rest = after;
                    continue 'scan;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out.replace("it supports ", "its keys' fields are ")
}

/// Whether `patch` is one the provider changes in place (its update is built).
pub fn updates_in_place(p: ProviderKind, patch: &Patch) -> bool {
    let Ok(base) = BaseUrl::parse(p.info().base_url) else {
        return false;
    };
    p.build_update(&base, p.info().sample_key, patch).is_ok()
}

#[cfg(test)]
mod tests {
    use super::in_file_terms;

    #[test]
    fn a_refusal_names_the_file_fields_not_the_flags() {
        assert_eq!(
            in_file_terms(
                "ModelGates does not support --models: it supports --limit, --reset, --name, \
                 --disable/--enable and --include-byok-in-limit"
            ),
            "ModelGates does not support models: its keys' fields are limit, reset, name, \
             disabled and include_byok_in_limit"
        );
        assert_eq!(in_file_terms("--limit-diem …"), "limit_diem …");
        assert_eq!(in_file_terms("--limits"), "--limits");
    }
}
