//! The command sink: a program resolved on PATH before any key is made, then run without a
//! shell with the new secret on its standard input only, its output passed to stderr masked,
//! stopped (its process group killed) at a time-out or a signal.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::Failure;
use crate::error::{Error, Result};
use crate::http::Cancel;
use crate::outcome::NewSecret;

/// How long a secret command may run: 30 s (KEYCTL_SECRET_COMMAND_TIMEOUT_MS, the test suite's
/// hook, can shorten it, never lengthen it).
pub fn time_limit() -> Duration {
    crate::env::get()
        .secret_command_timeout_ms()
        .map_or(LIMIT, |ms| Duration::from_millis(ms).min(LIMIT))
}

/// The documented limit.
pub const LIMIT: Duration = Duration::from_secs(30);

/// How long its output is still read once the program has exited: a process it left running
/// with the pipes open does not keep keyctl waiting.
const AFTER_EXIT: Duration = Duration::from_millis(500);

/// The longest line of its output shown; the rest of a longer line is left out (never split,
/// so no piece of a secret is shown in two halves that each escape masking).
const MAX_LINE: usize = 4096;

/// A program to hand a new secret to, checked before any key is made.
pub struct SecretCommand {
    argv: Vec<String>,
    /// `argv[0]` as found on PATH (or as given, with a `/`).
    program: PathBuf,
    /// The variables left out of its environment (the admin credential variables).
    hidden: Vec<String>,
    used: bool,
}

impl SecretCommand {
    /// Resolves the program now (on PATH unless it has a `/`; it must be an executable file),
    /// so a typo stops the run (exit 2) before anything is created. `label` names the setting
    /// in messages; `hidden` are the variables its environment goes without.
    pub fn prepare(argv: &[String], label: &str, hidden: &[String]) -> Result<SecretCommand> {
        let Some(prog) = argv.first().filter(|p| !p.is_empty()) else {
            return Err(Error::usage(format!(
                "{label} names no program; nothing was created"
            )));
        };
        let program = resolve(prog).map_err(|why| {
            Error::usage(format!(
                "{label} `{}`: {why}; nothing was created",
                shown(argv)
            ))
        })?;
        Ok(SecretCommand {
            argv: argv.to_vec(),
            program,
            hidden: hidden.to_vec(),
            used: false,
        })
    }

    /// The command as messages show it (quoted as a shell would need it, masked, cut).
    pub fn shown(&self) -> String {
        shown(&self.argv)
    }

    /// Runs the command with `secret` and a line break on its standard input (a pipe holding
    /// the line, then closed), its output passed to stderr line by line (masked), for at most
    /// [`time_limit`]. Delivered only when it exits 0 and the pipe holds nothing unread
    /// afterwards (keyctl keeps a read end of its own to ask: a command that exits 0 without
    /// reading its standard input, or reading only part of it, did not take the secret); a
    /// failure, a time-out, a signal (the command is stopped), an unread secret or a program
    /// that cannot be started hands the secret back, with why, to be shown on stdout instead.
    pub async fn deliver(
        &mut self,
        secret: &str,
        cancel: &Cancel,
    ) -> std::result::Result<NewSecret, Failure> {
        let what = format!("the secret command `{}`", self.shown());
        if std::mem::replace(&mut self.used, true) {
            return Err(Failure(format!("{what} was already given a secret")));
        }
        if cancel.is_cancelled() {
            return Err(Failure(format!(
                "{what} was not run: a signal came before it could start"
            )));
        }
        // The line is in the pipe, its write end closed, before the command starts: it reads
        // the line, then the end of its input. keyctl keeps the read end `left` to see
        // afterwards what it did not read.
        let (left, stdin) = fill(secret)
            .map_err(|e| Failure(format!("{what} was not run: no pipe for the secret ({e})")))?;
        let mut cmd = tokio::process::Command::new(&self.program);
        #[cfg(unix)]
        cmd.arg0(&self.argv[0]);
        cmd.args(&self.argv[1..])
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for v in &self.hidden {
            cmd.env_remove(v);
        }
        // A group of its own: a time-out or a signal stops whatever it started too (it cannot
        // ask anything on the terminal: its standard input is the secret).
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| Failure(format!("{what} could not be started ({e})")))?;
        let pid = child.id();
        let name = program_name(&self.argv[0]);
        let pumps = [
            child
                .stdout
                .take()
                .map(|o| tokio::spawn(pass(o, name.clone()))),
            child
                .stderr
                .take()
                .map(|e| tokio::spawn(pass(e, name.clone()))),
        ];
        let limit = time_limit();
        let end = {
            tokio::select! {
                r = tokio::time::timeout(limit, child.wait()) => match r {
                    Ok(status) => End::Exited(status),
                    Err(_) => End::TimedOut,
                },
                () = cancel.cancelled() => End::Signalled,
            }
        };
        if matches!(end, End::TimedOut | End::Signalled) {
            // Not reaped yet: its pid still names its group.
            #[cfg(unix)]
            kill_group(pid);
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        for p in pumps.into_iter().flatten() {
            let abort = p.abort_handle();
            if tokio::time::timeout(AFTER_EXIT, p).await.is_err() {
                abort.abort();
            }
        }
        match end {
            End::Exited(Ok(st)) if st.success() => match unread(&left) {
                Ok(0) => Ok(NewSecret::Command(self.argv.clone())),
                Ok(_) => Err(Failure(format!(
                    "{what} exited 0 without reading the secret from its standard input"
                ))),
                Err(e) => Err(Failure(format!(
                    "{what} exited 0, but whether it read the secret cannot be told ({e})"
                ))),
            },
            End::Exited(Ok(st)) => Err(Failure(match st.code() {
                Some(c) => format!("{what} failed (exit status {c})"),
                None => format!("{what} was killed by a signal"),
            })),
            End::Exited(Err(e)) => Err(Failure(format!("{what}: {e}"))),
            End::TimedOut => Err(Failure(format!(
                "{what} did not finish within {} s and was stopped",
                limit.as_secs_f32()
            ))),
            End::Signalled => Err(Failure(format!("{what} was stopped by a signal to keyctl"))),
        }
    }
}

/// How a secret command's run ended.
enum End {
    /// It exited.
    Exited(std::io::Result<std::process::ExitStatus>),
    TimedOut,
    Signalled,
}

/// A pipe holding the secret and a line break, its write end closed: a read end for keyctl
/// ([`unread`]) and one for the command's standard input. A secret longer than a pipe holds
/// at once is refused (no secret is near that long).
fn fill(secret: &str) -> std::io::Result<(std::io::PipeReader, Stdio)> {
    use std::io::Write;
    let (reader, mut writer) = std::io::pipe()?;
    let line = [secret.as_bytes(), b"\n"].concat();
    // Written before the command runs: it must fit in the pipe's buffer (64 KiB on Linux, at
    // least 4 KiB anywhere), or the write would wait for a reader that is not there yet.
    if line.len() > 4096 {
        return Err(std::io::Error::other(
            "the secret is longer than 4095 bytes",
        ));
    }
    writer.write_all(&line)?;
    drop(writer);
    let theirs = reader.try_clone()?;
    Ok((reader, Stdio::from(theirs)))
}

/// How many bytes the pipe still holds: what the command left unread of its standard input.
#[cfg(unix)]
fn unread(r: &std::io::PipeReader) -> std::io::Result<usize> {
    use std::os::fd::AsRawFd;
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD stores the count of bytes waiting in the pipe into the c_int it is
    // given; the fd is open (owned by `r`) for the whole call.
    let rc = unsafe { libc::ioctl(r.as_raw_fd(), libc::FIONREAD, &mut n) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Not known off Unix: a command that exits 0 is taken at its word.
#[cfg(not(unix))]
fn unread(_: &std::io::PipeReader) -> std::io::Result<usize> {
    Ok(0)
}

/// Passes a pipe of the command to stderr, line by line, each masked and stripped of control
/// characters and marked with the program's name; silent with -q.
async fn pass(mut r: impl AsyncRead + Unpin, name: String) {
    let mut buf: Vec<u8> = Vec::new();
    // The current line passed MAX_LINE: the rest of it is dropped.
    let mut cut = false;
    let mut chunk = [0u8; 8192];
    let show = |line: &[u8], cut: bool| {
        let text = String::from_utf8_lossy(line);
        crate::output::diag(&format!(
            "{name}: {}{}",
            crate::text::sanitize(text.trim_end_matches('\r')),
            if cut { " …" } else { "" }
        ));
    };
    loop {
        let n = match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &chunk[..n] {
            if b == b'\n' {
                show(&buf, cut);
                buf.clear();
                cut = false;
            } else if buf.len() < MAX_LINE {
                buf.push(b);
            } else {
                cut = true;
            }
        }
    }
    if !buf.is_empty() || cut {
        show(&buf, cut);
    }
}

/// The program's name as its output lines are marked: its last path part.
fn program_name(prog: &str) -> String {
    let base = Path::new(prog)
        .file_name()
        .map_or_else(|| prog.to_string(), |n| n.to_string_lossy().into_owned());
    crate::text::truncate(&base, 40)
}

/// The argv as one line a shell would split back into it (words with spaces or shell
/// characters in single quotes), masked and cut to 200 characters.
fn shown(argv: &[String]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphanumeric() || "-_./:=@,+%^".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect();
    crate::text::truncate(&words.join(" "), 200)
}

/// Where `prog` is: as given when it has a `/`, else the first executable file of that name
/// in a folder of PATH (an empty entry, the current folder, is not searched).
fn resolve(prog: &str) -> std::result::Result<PathBuf, String> {
    if prog.contains('/') {
        let p = PathBuf::from(prog);
        return match std::fs::metadata(&p) {
            Ok(m) if m.is_file() && executable(&m) => Ok(p),
            Ok(m) if m.is_file() => Err("the file is not executable".into()),
            Ok(_) => Err("it is not a file".into()),
            Err(e) => Err(format!("cannot run it ({e})")),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        if dir.as_os_str().is_empty() {
            continue;
        }
        let p = dir.join(prog);
        if let Ok(m) = std::fs::metadata(&p)
            && m.is_file()
            && executable(&m)
        {
            return Ok(p);
        }
    }
    Err(format!(
        "no program '{}' on PATH; check the name, or give its full path",
        crate::text::truncate(prog, 80)
    ))
}

/// Whether a file's mode lets someone run it.
fn executable(m: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        m.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        true
    }
}

/// Kills the command's process group (its own), so what it started stops too.
#[cfg(unix)]
fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is
        // involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_is_found_on_path_or_refused_with_why() {
        assert!(resolve("sh").is_ok_and(|p| p.is_absolute()));
        assert!(resolve("/bin/sh").is_ok());
        let e = resolve("no-such-program-keyctl-test").unwrap_err();
        assert!(
            e.contains("no program 'no-such-program-keyctl-test' on PATH"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("store");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        let e = resolve(f.to_str().unwrap()).unwrap_err();
        assert!(e.contains("not executable"), "{e}");
        assert!(resolve(dir.path().to_str().unwrap()).is_err());
    }

    #[test]
    fn the_command_is_shown_as_a_shell_would_read_it_back() {
        let argv = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            shown(&argv(&["gh", "secret", "set", "CI_KEY"])),
            "gh secret set CI_KEY"
        );
        assert_eq!(
            shown(&argv(&["store", "a b", "it's", ""])),
            r"store 'a b' 'it'\''s' ''"
        );
    }
}
