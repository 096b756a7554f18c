//! A temporary home for runs of ModelGates profiles whose credential comes from
//! MODELGATES_MANAGEMENT_KEY or a credential command (the config file, the state folder, HOME,
//! scripts), run in the foreground or the background, with the ModelGates stand-ins they need.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use wiremock::MockServer;

use crate::common::{Keyctl, Out, Running};

/// The variable every profile of these tests reads its credential from ([`Running::spawn`]
/// and [`Keyctl::new`] set it to [`SECRET`]).
pub(crate) const ENV: &str = "MODELGATES_MANAGEMENT_KEY";

/// A key-like token (OpenRouter's prefix and 32 hex digits): never printed back.
pub(crate) const KEY: &str = "sk-or-v1-9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/// A temporary folder per test: the config file, the state folder, HOME, scripts.
pub(crate) struct Sandbox {
    pub(crate) tmp: tempfile::TempDir,
}

impl Sandbox {
    pub(crate) fn new() -> Sandbox {
        Sandbox {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub(crate) fn s(&self) -> String {
        self.path().display().to_string()
    }

    pub(crate) fn config_path(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    /// Writes `config.toml`.
    pub(crate) fn config(&self, text: &str) -> &Sandbox {
        std::fs::write(self.config_path(), text).unwrap();
        self
    }

    /// Writes `rel` (creating its folders) and returns its path.
    pub(crate) fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Writes an executable `/bin/sh` script.
    pub(crate) fn script(&self, rel: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.write(rel, &format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// The audit trail under this sandbox's XDG_STATE_HOME (its folder created).
    pub(crate) fn trail(&self) -> PathBuf {
        let dir = self.path().join("state").join("keyctl");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("audit.jsonl")
    }

    /// The environment of a run: this sandbox's config file, state folder, config home and
    /// HOME.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        let d = self.s();
        vec![
            (
                "KEYCTL_CONFIG".into(),
                self.config_path().display().to_string(),
            ),
            ("XDG_CONFIG_HOME".into(), format!("{d}/xdg-config")),
            ("XDG_STATE_HOME".into(), format!("{d}/state")),
            ("HOME".into(), d),
        ]
    }

    /// As [`Sandbox::env`] without KEYCTL_CONFIG (no config file: `-p` runs).
    pub(crate) fn env_without_config(&self) -> Vec<(String, String)> {
        self.env()
            .into_iter()
            .filter(|(k, _)| k != "KEYCTL_CONFIG")
            .collect()
    }

    /// `keyctl <args>` with the credential set ([`Keyctl::new`]) and this sandbox's files.
    pub(crate) fn keyctl(&self, args: &[&str]) -> Keyctl {
        self.env()
            .iter()
            .fold(Keyctl::new(ENV, args), |k, (n, v)| k.env(n, v))
    }

    /// As [`Sandbox::keyctl`], with no config file.
    pub(crate) fn keyctl_no_config(&self, args: &[&str]) -> Keyctl {
        self.env_without_config()
            .iter()
            .fold(Keyctl::new(ENV, args), |k, (n, v)| k.env(n, v))
    }

    /// `keyctl <args>` in the background ([`Running::spawn`]) with this sandbox's files.
    pub(crate) fn spawn(&self, args: &[&str], env: &[(String, String)]) -> Running {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Running::spawn(ENV, &args, &env)
    }
}

/// A ModelGates profile reading [`ENV`], at `base`.
pub(crate) fn gates_profile(name: &str, base: &str) -> String {
    format!(
        "[profiles.{name}]\nprovider = \"modelgates\"\nbase_url = \"{base}\"\ncredential_env = \
         \"{ENV}\"\n\n"
    )
}

/// An OpenRouter-style key.
pub(crate) fn gkey(hash: &str, name: &str, disabled: bool) -> Value {
    json!({"hash": hash, "name": name, "label": format!("sk-or-v1-{}", &hash[..3]),
           "disabled": disabled, "limit": 100, "limit_remaining": null, "limit_reset": null,
           "usage": 1, "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0,
           "created_at": "2026-01-01T00:00:00Z", "updated_at": null, "expires_at": null})
}

pub(crate) const H_ON: &str = "bb00000000000000000000000000000000000000000000000000000000000002";

/// The paths the server saw, in arrival order.
pub(crate) async fn paths(s: &MockServer) -> Vec<String> {
    s.received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect()
}

/// Neither output holds `key`, nor any 8-character piece of its random part (after the last
/// `-` or `_`).
pub(crate) fn assert_hidden(out: &Out, key: &str, what: &str) {
    let random = key.rsplit(['-', '_']).next().unwrap();
    assert!(random.len() >= 16, "{key}");
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(key), "{what}: the key is printed:\n{text}");
        for w in random.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(
                !text.to_ascii_lowercase().contains(&w.to_ascii_lowercase()),
                "{what}: a piece of the key ({w}) is printed:\n{text}"
            );
        }
    }
}
