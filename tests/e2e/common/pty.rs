//! The pseudo-terminal driver shared by the pty tests: `pty_run.py` runs keyctl on a
//! pseudo-terminal and answers its exit, merged output and whether it asked; [`finish`] checks
//! that answer and scans it for the credential.

use std::process::Command;

use serde_json::Value;

use super::{Out, cleared, scan};

pub(crate) const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/pty_run.py");

pub(crate) const PROMPT: &str = "Apply this change? [y/N]";

/// Variables that change how keyctl prints, removed from every child besides `cleared()`. `CI`
/// is one: anstream (clap's colour stack, which keyctl follows) colours a terminal under CI
/// whatever `TERM` says.
pub(crate) const OUTPUT_VARS: [&str; 9] = [
    "CI",
    "KEYCTL_OUTPUT",
    "KEYCTL_PROVIDER",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "COLUMNS",
    "LINES",
    "TERM",
];

/// The result of one run on a pseudo-terminal.
#[derive(Debug)]
pub(crate) struct PtyOut {
    pub(crate) exit: Option<i32>,
    /// stdout and stderr merged, `\r\n` made `\n`, colour codes kept.
    pub(crate) output: String,
    /// `[y/N]` was shown.
    pub(crate) prompted: bool,
}

impl PtyOut {
    /// The output without colour codes.
    pub(crate) fn plain(&self) -> String {
        strip_ansi(&self.output)
    }

    pub(crate) fn code(&self, want: i32) -> &Self {
        assert_eq!(self.exit, Some(want), "exit code; output:\n{}", self.output);
        self
    }

    pub(crate) fn has(&self, needle: &str) -> &Self {
        assert!(
            self.plain().contains(needle),
            "output lacks {needle:?}:\n{}",
            self.output
        );
        self
    }

    pub(crate) fn lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.plain().contains(needle),
            "output has {needle:?}:\n{}",
            self.output
        );
        self
    }

    /// The text shown up to and including the question (the summary of the change).
    pub(crate) fn question(&self) -> String {
        let plain = self.plain();
        let end = plain
            .find(PROMPT)
            .unwrap_or_else(|| panic!("no {PROMPT:?} in:\n{}", self.output));
        plain[..end + PROMPT.len()].to_string()
    }

    /// Each of `needles` is shown before the question.
    pub(crate) fn asks_about(&self, needles: &[&str]) -> &Self {
        let q = self.question();
        for n in needles {
            assert!(q.contains(n), "{n:?} not shown before the question:\n{q}");
        }
        self
    }

    pub(crate) fn asked(&self, want: bool) -> &Self {
        assert_eq!(
            self.prompted, want,
            "asked for confirmation: {}; output:\n{}",
            self.prompted, self.output
        );
        self
    }
}

/// A driver's answer (`{exit, signal, output, prompted, timed_out, ...}` on its stdout) as a
/// run, checked: the driver worked, keyctl ended by itself in time and was not killed, and its
/// output holds no piece of the credential.
pub(crate) fn finish(out: &std::process::Output) -> (PtyOut, Value) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the pty driver failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let output = v["output"]
        .as_str()
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert_eq!(
        v["timed_out"], false,
        "keyctl still ran after 20 s:\n{output}"
    );
    assert_eq!(v["signal"], Value::Null, "keyctl was killed:\n{output}");
    let r = PtyOut {
        exit: v["exit"].as_i64().map(|c| c as i32),
        output,
        prompted: v["prompted"] == true,
    };
    scan(&Out {
        code: r.exit.unwrap_or(-1),
        stdout: r.output.clone(),
        stderr: String::new(),
    });
    (r, v)
}

/// Removes every provider's credential and base URL, the test extras and [`OUTPUT_VARS`].
pub(crate) fn clean(cmd: &mut Command) {
    for v in cleared() {
        cmd.env_remove(v);
    }
    for v in OUTPUT_VARS {
        cmd.env_remove(v);
    }
}

/// The text without ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL/ST`, and
/// two-character `ESC x`).
pub(crate) fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('[') => {
                for c in it.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = it.next() {
                    if c == '\x07' {
                        break;
                    }
                    if c == '\x1b' && it.peek() == Some(&'\\') {
                        it.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}
