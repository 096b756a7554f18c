//! A temporary home with its own config and state folders and, when written, a config file of
//! profiles; a second credential; a loopback URL nothing listens on; TSV cells.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::common::{Keyctl, Out};

/// A second credential (for a second profile); it holds "TOPSECRET", so the harness's scan
/// fails the test if it is ever printed.
pub(crate) const SECOND: &str = "sk-or-v1-TOPSECRET-second-9c8b7a6d";

/// Its own config and state folders for each run, and the config file when one is written.
pub(crate) struct Sandbox {
    pub(crate) dir: TempDir,
    pub(crate) config: Option<PathBuf>,
}

impl Sandbox {
    pub(crate) fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::create_dir_all(dir.path().join("state")).unwrap();
        Sandbox { dir, config: None }
    }

    /// A sandbox whose `KEYCTL_CONFIG` is a file holding `text`.
    pub(crate) fn with_config(text: &str) -> Sandbox {
        let mut s = Sandbox::new();
        let p = s.dir.path().join("keyctl.toml");
        std::fs::write(&p, text).unwrap();
        s.config = Some(p);
        s
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `k` with the sandbox's folders (and config file).
    pub(crate) fn apply(&self, k: Keyctl) -> Keyctl {
        let d = self.dir.path();
        let k = k
            .env("XDG_CONFIG_HOME", d.join("config").to_str().unwrap())
            .env("XDG_STATE_HOME", d.join("state").to_str().unwrap());
        match &self.config {
            Some(c) => k.env("KEYCTL_CONFIG", c.to_str().unwrap()),
            None => k,
        }
    }
}

/// A loopback base URL nothing listens on (a port bound then released).
pub(crate) fn closed_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// The TSV rows (header first) split into cells.
pub(crate) fn cells(out: &Out) -> Vec<Vec<String>> {
    out.stdout
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// A profile table.
pub(crate) fn profile(name: &str, provider: &str, base: &str, credential: &str) -> String {
    format!("[profiles.{name}]\nprovider = \"{provider}\"\nbase_url = \"{base}\"\n{credential}\n\n")
}
