//! A table's credential keys (`credential_env`, `credential_file`, `credential_command`):
//! exactly one source, and no literal secret nor anything that looks like a key.

use std::path::{Path, PathBuf};

use super::doc::Doc;
use super::looks_like_key;
use super::raw::RawSources;
use crate::credential::Source;
use crate::error::Result;

/// How to point at a credential instead of writing it into the file.
const SOURCES_HINT: &str = "keep the key out of the file and point to it with credential_env = \
                            \"VAR\", credential_file = \"PATH\" or credential_command = [\"op\", \
                            \"read\", \"op://vault/item/field\"]";

/// Checks a table's credential keys: exactly one source, and no literal secret.
pub(super) fn source(doc: &Doc, table: &str, at: usize, s: RawSources) -> Result<Source> {
    let literal = [
        ("api_key", &s.api_key),
        ("key", &s.key),
        ("token", &s.token),
        ("secret", &s.secret),
        ("credential", &s.credential),
        ("password", &s.password),
        ("admin_key", &s.admin_key),
        ("management_key", &s.management_key),
    ];
    if let Some((k, Some(v))) = literal.iter().find(|(_, v)| v.is_some()) {
        return doc.err(
            v.span(),
            &format!("{table}.{k}"),
            format!("a credential written into the config file is refused: {SOURCES_HINT}"),
        );
    }
    let mut found = Vec::new();
    if let Some(v) = s.credential_env {
        let name = v.get_ref().trim();
        if looks_like_key(name) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_env"),
                format!(
                    "this looks like a key, not a variable's name (which is all keyctl takes \
                     here): {SOURCES_HINT}"
                ),
            );
        }
        if !valid_var(name) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_env"),
                "this is not an environment variable's name (letters, digits and _, not \
                 starting with a digit); if it is the key itself, put it in a variable and \
                 name the variable here",
            );
        }
        found.push(("credential_env", Source::Env(name.to_string())));
    }
    if let Some(v) = s.credential_file {
        if looks_like_key(v.get_ref()) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_file"),
                format!("this looks like a key, not a file's path: {SOURCES_HINT}"),
            );
        }
        let Some(p) = expand_path(doc, v.get_ref().trim()) else {
            return doc.err(
                v.span(),
                &format!("{table}.credential_file"),
                "give the path of a file that holds only the key (~ is your home folder)",
            );
        };
        found.push(("credential_file", Source::File(p)));
    }
    if let Some(v) = s.credential_command {
        let argv = v.get_ref();
        if argv.first().is_none_or(|p| p.trim().is_empty()) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_command"),
                "give the program and its arguments as a list, e.g. [\"op\", \"read\", \
                 \"op://vault/item/field\"] (it runs without a shell)",
            );
        }
        if argv.iter().any(|a| looks_like_key(a)) {
            return doc.err(
                v.span(),
                &format!("{table}.credential_command"),
                "an argument looks like a key: give the command the key's location (e.g. \
                 op://vault/item/field), never the key",
            );
        }
        let mut argv = argv.clone();
        // A relative program path starts at the config file's folder, as credential_file
        // does (never the current directory, which may be anyone's).
        if argv[0].contains('/')
            && let Some(p) = expand_path(doc, &argv[0])
        {
            argv[0] = p.display().to_string();
        }
        found.push(("credential_command", Source::Command(argv)));
    }
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 => doc.err(
            at..at,
            table,
            "no credential source: add one of credential_env = \"VAR\", credential_file = \"PATH\" or credential_command = [\"prog\", \"arg\"]",
        ),
        _ => doc.err(
            at..at,
            table,
            format!(
                "{} credential sources ({}): keep exactly one",
                found.len(),
                found.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            ),
        ),
    }
}

pub(super) fn valid_var(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `~/x` from HOME; a relative path is taken from the config file's folder.
pub(super) fn expand_path(doc: &Doc, p: &str) -> Option<PathBuf> {
    if p.is_empty() {
        return None;
    }
    let path = if p == "~" || p.starts_with("~/") {
        PathBuf::from(crate::env::get().home()?)
            .join(p.trim_start_matches('~').trim_start_matches('/'))
    } else {
        PathBuf::from(p)
    };
    Some(if path.is_absolute() {
        path
    } else {
        doc.path.parent().unwrap_or(Path::new(".")).join(path)
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse::tests::{cfg, err};
    use super::*;

    #[test]
    fn a_literal_secret_is_refused_without_being_quoted() {
        let key = "sk-or-v1-0123456789abcdef0123456789abcdef";
        for field in [
            "api_key",
            "key",
            "token",
            "secret",
            "credential",
            "password",
            "admin_key",
            "management_key",
        ] {
            let e = err(&format!(
                "[profiles.a]\nprovider = 'venice'\n{field} = '{key}'\n"
            ));
            assert!(
                e.contains(&format!(
                    ":3: profiles.a.{field}: a credential written into the config file is refused"
                )),
                "{e}"
            );
            assert!(e.contains("credential_env = \"VAR\""), "{e}");
            assert!(!e.contains("0123456789abcdef"), "{e}");
        }
        let long = "X".repeat(65);
        for pasted in [
            "VENICE_ADMIN_KEY_Rq3xY7bN2kLm9PqS4tUv8WxZ1aBc",
            "VENICE_ADMIN_KEY_abcdefghijklmnop",
            long.as_str(),
        ] {
            let e = err(&format!(
                "[profiles.a]\nprovider = 'venice'\ncredential_env = '{pasted}'\n"
            ));
            assert!(
                e.contains(":3: profiles.a.credential_env: this looks like a key"),
                "{e}"
            );
            assert!(!e.contains(pasted), "{e}");
        }
        // Digits in short parts are a name.
        assert!(
            cfg(
                "[profiles.a]\nprovider = 'venice'\ncredential_env = 'VENICE_ADMIN_KEY_PROD_2026'\n"
            )
            .is_ok()
        );
        let e = err(&format!(
            "[profiles.a]\nprovider = 'venice'\ncredential_env = '{key}'\n"
        ));
        assert!(
            e.contains(":3: profiles.a.credential_env: this looks like a key"),
            "{e}"
        );
        assert!(!e.contains("0123456789abcdef"), "{e}");
        // A key pasted where a number goes is not echoed by the parser's message either.
        let e = err(&format!(
            "[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\nretries = '{key}'\n"
        ));
        assert!(!e.contains("0123456789abcdef"), "{e}");
        let e = err(&format!(
            "[providers.x]\napi = 'openrouter'\nbase_url = 'https://x.example'\ntoken = '{key}'\n"
        ));
        assert!(
            e.contains(":4: providers.x.token: a credential written"),
            "{e}"
        );
    }

    #[test]
    fn keys_in_paths_argv_and_names_are_refused_and_programs_start_at_the_files_folder() {
        let key = "sk-or-v1-0123456789abcdef0123456789abcdef";
        for (text, want) in [
            (format!("[profiles.a]\nprovider = 'venice'\ncredential_file = '/k/{key}'\n"), ":3: profiles.a.credential_file: this looks like a key"),
            (format!("[profiles.a]\nprovider = 'venice'\ncredential_command = ['echo', '{key}']\n"), ":3: profiles.a.credential_command: an argument looks like a key"),
            (format!("default_profile = '{key}'\n"), ":1: default_profile: no profile named '(the value given, not shown"),
            (format!("[profiles.a]\nprovider = '{key}'\ncredential_env = 'X'\n"), ":2: profiles.a.provider: no provider '(the value given, not shown"),
            (format!("'{key}' = 1\n"), ":1: (the value given, not shown: it looks like a key): unknown key"),
            (format!("[profiles.a]\nprovider = 'venice'\ncredential_env = 'X'\ntimeout = '{key}'\n"), ":4: profiles.a.timeout: not a duration"),
            ("[profiles.Rq3xY7bN2kLm9PqS4tUv8WxZ1aBc]\nprovider = 'venice'\ncredential_env = 'X'\n".to_string(), "a name that looks like a key is refused"),
        ] {
            let e = err(&text);
            assert!(e.contains(want), "{text:?}\n  got: {e}");
            assert!(!e.contains("0123456789abcdef") && !e.contains("Rq3xY7bN2kLm"), "{e}");
        }
        for (a, b) in [("ACME", "acme"), ("a-b", "a_b"), ("a.b", "a-b")] {
            let e = err(&format!(
                "[providers.'{a}']\napi = 'openrouter'\nbase_url = 'https://x.example'\ncredential_env = 'X'\n\
                 [providers.'{b}']\napi = 'openrouter'\nbase_url = 'https://y.example'\ncredential_env = 'Y'\n"
            ));
            assert!(
                e.contains(":5: providers.") && e.contains("the same provider as"),
                "{e}"
            );
        }
        let c =
            cfg("[profiles.a]\nprovider = 'venice'\ncredential_command = ['./bin/getkey', 'x']\n")
                .unwrap();
        assert_eq!(
            c.profiles[0].credential,
            Source::Command(vec!["/etc/./bin/getkey".into(), "x".into()])
        );
        let c = cfg("[profiles.a]\nprovider = 'venice'\ncredential_command = ['op', 'read', 'op://Private/venice-prod/credential']\n").unwrap();
        assert_eq!(
            c.profiles[0].credential,
            Source::Command(vec![
                "op".into(),
                "read".into(),
                "op://Private/venice-prod/credential".into()
            ])
        );
    }
}
