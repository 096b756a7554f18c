//! Runs the real keyctl binary (assert_cmd) against wiremock on loopback, and checks on every
//! run that the credential never appears in stdout or stderr.

use std::sync::atomic::{AtomicUsize, Ordering};

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The admin credential every test uses; no output may ever contain it.
pub const SECRET: &str = "sk-live-TOPSECRET-4f9a2c7e1b";

pub const IONET_KEY: &str = "3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23";
pub const GATES_KEY: &str = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943";
pub const VENICE_KEY: &str = "e28e82dc-9df2-4b47-b726-d0a222ef2ab5";

/// How many runs were scanned for the credential (see `scan` test in main.rs).
pub static SCANNED: AtomicUsize = AtomicUsize::new(0);

/// Cleared in every child: credentials, provider and output defaults, base URLs, the test
/// backoff, and proxies (only loopback is used; a test that wants a proxy sets one).
pub const CLEARED: [&str; 19] = [
    "IONET_ADMIN_KEY",
    "MODELGATES_MANAGEMENT_KEY",
    "NOVAPAI_MANAGEMENT_KEY",
    "VENICE_ADMIN_KEY",
    "OPENROUTER_MANAGEMENT_KEY",
    "KEYCTL_PROVIDER",
    "KEYCTL_OUTPUT",
    "KEYCTL_IONET_BASE_URL",
    "KEYCTL_MODELGATES_BASE_URL",
    "KEYCTL_NOVAPAI_BASE_URL",
    "KEYCTL_VENICE_BASE_URL",
    "KEYCTL_OPENROUTER_BASE_URL",
    "KEYCTL_BACKOFF_MS",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts the exit code, showing the output when it differs.
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(
            self.code, want,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }

    /// The JSON Lines on stdout.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// A keyctl invocation under construction.
pub struct Keyctl {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
}

impl Keyctl {
    /// `keyctl <args>` with the provider's credential set to SECRET.
    pub fn new(provider_env: &str, args: &[&str]) -> Keyctl {
        Keyctl {
            args: args.iter().map(|s| s.to_string()).collect(),
            env: vec![(provider_env.to_string(), SECRET.to_string())],
            stdin: None,
        }
    }

    /// `keyctl <args>` with no credential anywhere.
    pub fn bare(args: &[&str]) -> Keyctl {
        Keyctl {
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            stdin: None,
        }
    }

    pub fn base(mut self, server: &MockServer) -> Keyctl {
        self.args.push("--base-url".into());
        self.args.push(server.uri());
        self
    }

    pub fn arg(mut self, a: &str) -> Keyctl {
        self.args.push(a.into());
        self
    }

    pub fn args(mut self, more: &[&str]) -> Keyctl {
        self.args.extend(more.iter().map(|s| s.to_string()));
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Keyctl {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn stdin(mut self, data: &[u8]) -> Keyctl {
        self.stdin = Some(data.to_vec());
        self
    }

    pub async fn run(self) -> Out {
        let Keyctl { args, env, stdin } = self;
        let out = tokio::task::spawn_blocking(move || {
            let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_keyctl"));
            for v in CLEARED {
                cmd.env_remove(v);
            }
            cmd.env("NO_COLOR", "1").env("KEYCTL_BACKOFF_MS", "20");
            cmd.args(&args);
            for (k, v) in &env {
                cmd.env(k, v);
            }
            cmd.write_stdin(stdin.unwrap_or_default());
            cmd.timeout(std::time::Duration::from_secs(60));
            cmd.output().expect("keyctl runs")
        })
        .await
        .expect("join");
        let out = Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        scan(&out);
        out
    }
}

/// The credential (or a large piece of it) must appear in no output.
pub fn scan(out: &Out) {
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(SECRET), "credential leaked:\n{text}");
        assert!(
            !text.contains("TOPSECRET"),
            "part of the credential leaked:\n{text}"
        );
    }
    assert!(
        !out.stderr.contains("panicked"),
        "keyctl panicked:\n{}",
        out.stderr
    );
    SCANNED.fetch_add(1, Ordering::SeqCst);
}

/// A provider example from `fixtures/`.
pub fn fixture(name: &str) -> serde_json::Value {
    let p = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Fails the test (when `server` is dropped) if any PATCH reaches it: "nothing was sent".
pub async fn forbid_patch(server: &MockServer) {
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(server)
        .await;
}
