//! One temporary home per test: a folder holding the config file (`config.toml`), key files,
//! scripts, the state folder, XDG_CONFIG_HOME and HOME, and the `keyctl` runs pointed at it.

use std::path::{Path, PathBuf};

use crate::common::{Keyctl, PROXIES, Running};

/// A temporary folder per test: the config file, the state folder, HOME, key files, scripts.
pub struct Home {
    tmp: tempfile::TempDir,
    /// Runs also get a proxy that refuses everything (see [`Home::offline`]).
    offline: bool,
    /// Runs get KEYCTL_CONFIG (all but [`Home::without_config`]).
    config_in_env: bool,
}

impl Home {
    pub fn new() -> Home {
        Home {
            tmp: tempfile::tempdir().unwrap(),
            offline: false,
            config_in_env: true,
        }
    }

    /// A home whose runs get no KEYCTL_CONFIG (`-p` runs, or a test that names its own file).
    pub fn without_config() -> Home {
        Home {
            config_in_env: false,
            ..Home::new()
        }
    }

    /// A home whose `config.toml` holds `text`.
    pub fn with_config(text: &str) -> Home {
        let h = Home::new();
        h.config(text);
        h
    }

    /// A home whose runs also get a proxy that refuses everything (loopback goes direct; a
    /// request for a real host, as a regression would send, fails here instead of leaving the
    /// machine).
    pub fn offline() -> Home {
        Home {
            offline: true,
            ..Home::new()
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn s(&self) -> String {
        self.path().display().to_string()
    }

    /// The config file's path (written by [`Home::config`]).
    pub fn config_path(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    /// Writes `config.toml` and returns its path.
    pub fn config(&self, text: &str) -> PathBuf {
        self.write("config.toml", text)
    }

    /// Writes `rel` (creating its folders) and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Writes an executable `/bin/sh` script.
    pub fn script(&self, rel: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.write(rel, &format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// The audit trail's path under this home's XDG_STATE_HOME.
    pub fn trail(&self) -> PathBuf {
        self.path().join("state").join("keyctl").join("audit.jsonl")
    }

    /// [`Home::trail`], its folder created.
    pub fn trail_in_its_folder(&self) -> PathBuf {
        let p = self.trail();
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    }

    /// The environment of a run: this home's config file (but for [`Home::without_config`]),
    /// state folder, config home and HOME (and the refusing proxy when [`Home::offline`]).
    pub fn env(&self) -> Vec<(String, String)> {
        let d = self.s();
        let mut env = Vec::new();
        if self.config_in_env {
            env.push((
                "KEYCTL_CONFIG".into(),
                self.config_path().display().to_string(),
            ));
        }
        env.extend([
            ("XDG_CONFIG_HOME".into(), format!("{d}/xdg-config")),
            ("XDG_STATE_HOME".into(), format!("{d}/state")),
            ("HOME".into(), d),
        ]);
        if self.offline {
            env.push(("NO_PROXY".into(), String::new()));
            env.push(("no_proxy".into(), String::new()));
            for v in PROXIES {
                env.push((v.into(), "http://127.0.0.1:9".into()));
            }
        }
        env
    }

    /// As [`Home::env`] without KEYCTL_CONFIG (no config file: `-p` runs).
    pub fn env_without_config(&self) -> Vec<(String, String)> {
        self.env()
            .into_iter()
            .filter(|(k, _)| k != "KEYCTL_CONFIG")
            .collect()
    }

    /// `k` with this home's environment ([`Home::env`]).
    pub fn apply(&self, k: Keyctl) -> Keyctl {
        self.env().iter().fold(k, |k, (n, v)| k.env(n, v))
    }

    /// `keyctl <args>` with no credential ([`Keyctl::bare`]) and this home's files.
    pub fn keyctl(&self, args: &[&str]) -> Keyctl {
        self.env()
            .iter()
            .fold(Keyctl::bare(args), |k, (n, v)| k.env(n, v))
    }

    /// `keyctl <args>` with `var` set to the credential ([`Keyctl::new`]) and this home's files.
    pub fn keyctl_with(&self, var: &str, args: &[&str]) -> Keyctl {
        self.env()
            .iter()
            .fold(Keyctl::new(var, args), |k, (n, v)| k.env(n, v))
    }

    /// As [`Home::keyctl_with`], with no config file.
    pub fn keyctl_with_no_config(&self, var: &str, args: &[&str]) -> Keyctl {
        self.env_without_config()
            .iter()
            .fold(Keyctl::new(var, args), |k, (n, v)| k.env(n, v))
    }

    /// `keyctl <args>` in the background ([`Running::spawn`], `var` set to the credential) with
    /// `env`, to be waited for with a limit.
    pub fn spawn(&self, var: &str, args: &[&str], env: &[(String, String)]) -> Running {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Running::spawn(var, &args, &env)
    }
}
