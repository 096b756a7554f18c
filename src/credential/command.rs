//! Running a profile's `credential_command`: without a shell, standard input closed, its output
//! read to a bound, stopped at a time-out or a signal, and whatever it started in its own
//! process group killed once it has exited.

use std::time::Duration;

use super::{MAX_SECRET_FILE, Masking, Secret};
use crate::error::{Error, Result, Sent};

/// How long a `credential_command` may run: 10 s (KEYCTL_CREDENTIAL_TIMEOUT_MS: the test
/// suite's override).
fn command_timeout() -> Duration {
    // The test suite's hook can shorten the limit, never lengthen it.
    crate::env::get()
        .credential_timeout_ms()
        .map_or(Duration::from_secs(10), |ms| {
            Duration::from_millis(ms.min(10_000))
        })
}

/// The most bytes of a credential command's standard error shown on failure.
const MAX_COMMAND_STDERR: usize = 2048;

/// The most bytes of a credential command's standard error kept (its end is shown).
const MAX_COMMAND_STDERR_READ: usize = 64 * 1024;

/// How long keyctl goes on reading a credential command's output once the program has exited.
/// Everything it printed is in the pipe by then; this only stops a process it left behind
/// with the pipe still open (on a terminal, where it is not killed, or one that left the
/// process group) from keeping keyctl waiting until the time-out.
const AFTER_EXIT: Duration = Duration::from_millis(500);

/// Runs a `credential_command` without a shell (standard input closed): its standard output,
/// trimmed, is the key. Failure, a time-out (the program is killed), no output or too much
/// output is a credential error (exit 3) that shows the end of its standard error.
///
/// Once the program has exited (successfully or not), whatever it started and left running
/// in its process group is killed (SIGKILL), before keyctl reaps it: a pid that is not yet
/// reaped is not given to another process, so the group's id still names only its group.
/// Without a terminal the program has a group of its own, so nothing it started outlives the
/// step; on a terminal it shares keyctl's group (it may ask for a password there), and what it
/// leaves running is left alone. Either way its output is read for at most [`AFTER_EXIT`]
/// after it exited, so a leftover process holding the pipe open does not hold keyctl.
pub async fn from_command(
    argv: &[String],
    cancelled: impl std::future::Future<Output = ()>,
    masking: Masking,
) -> Result<Secret> {
    use std::process::Stdio;
    let shown = (masking.shown)(&argv.join(" "), 80);
    let what = format!("credential_command `{shown}`");
    let Some((prog, args)) = argv.split_first() else {
        return Err(Error::Credential(format!("{what} is empty")));
    };
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Without a terminal (cron, CI) the program gets a process group of its own, so a time-out
    // or its exit stops whatever it started too; on a terminal it stays in the terminal's
    // group, where it may ask for a password.
    #[cfg(unix)]
    let grouped = !crate::env::interactive();
    #[cfg(unix)]
    if grouped {
        cmd.process_group(0);
    }
    // Listening for SIGCHLD before the program starts, so its exit is not missed.
    #[cfg(unix)]
    let mut sigchld = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::child()).ok();
    let mut child = cmd.spawn().map_err(|e| {
        Error::Credential(format!(
            "{what}: cannot run {}: {e}; check that it is installed and on PATH",
            (masking.shown)(prog, 60)
        ))
    })?;
    let mut pipes = Pipes {
        out: child.stdout.take(),
        err: child.stderr.take(),
        out_buf: Vec::new(),
        err_buf: Vec::new(),
        out_error: None,
    };
    let limit = command_timeout();
    // Until the program has exited (not reaped yet), its output read meanwhile.
    #[cfg(unix)]
    let pid = child.id();
    let ran = async {
        #[cfg(unix)]
        {
            let exit = exited(pid, &mut sigchld);
            tokio::pin!(exit);
            let drained_first = tokio::select! {
                () = pipes.drain() => true,
                () = &mut exit => false,
            };
            if drained_first {
                exit.await;
            }
        }
        #[cfg(not(unix))]
        pipes.drain().await;
    };
    let in_time = tokio::select! {
        r = tokio::time::timeout(limit, ran) => r.is_ok(),
        () = cancelled => {
            #[cfg(unix)]
            kill_group(&child, grouped);
            let _ = child.start_kill();
            return Err(Error::Interrupted { sent: Sent::Nothing });
        }
    };
    if !in_time {
        #[cfg(unix)]
        kill_group(&child, grouped);
        let _ = child.start_kill();
        let _ = child.wait().await;
        return Err(Error::Credential(format!(
            "{what} did not finish within {} s and was stopped; check that it can run \
             without asking anything on a terminal",
            limit.as_secs_f32()
        )));
    }
    // It has exited: what it left running in its own group goes now (its pipes close), then
    // the rest of its output is read, for a moment at most.
    #[cfg(unix)]
    kill_group(&child, grouped);
    let _ = tokio::time::timeout(AFTER_EXIT, pipes.drain()).await;
    let status = child.wait().await;
    let Pipes {
        out_buf,
        err_buf,
        out_error,
        ..
    } = pipes;
    let o = match out_error {
        Some(e) => Err(e),
        None => Ok(out_buf),
    };
    // Whatever it printed on stdout is masked from here on, even when it failed (its error
    // text may repeat it).
    if let Ok(b) = &o
        && let Ok(Some(s)) = Secret::parse(&String::from_utf8_lossy(b), "credential_command")
    {
        (masking.register)(&s);
    }
    let stderr_text = tail(&err_buf, masking);
    // Too much output first: keyctl stops reading, and the program may then die of SIGPIPE.
    if o.as_ref().is_ok_and(|b| b.len() > MAX_SECRET_FILE) {
        return Err(Error::Credential(format!(
            "{what} printed more than {} KiB; it must print only the admin key",
            MAX_SECRET_FILE / 1024
        )));
    }
    let status = status.map_err(|e| Error::Credential(format!("{what}: {e}")))?;
    if !status.success() {
        let how = match status.code() {
            Some(c) => format!("exit status {c}"),
            None => "killed by a signal".into(),
        };
        return Err(Error::Credential(format!(
            "{what} failed ({how}){}",
            if stderr_text.is_empty() {
                String::new()
            } else {
                format!(": {stderr_text}")
            }
        )));
    }
    let bytes = o.map_err(|e| Error::Credential(format!("{what}: reading its output: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::Credential(format!(
            "{what} printed text that is not UTF-8; it must print only the admin key"
        ))
    })?;
    Secret::parse(&text, &what)?.ok_or_else(|| {
        Error::Credential(format!(
            "{what} printed nothing (exit status 0){}",
            if stderr_text.is_empty() {
                String::new()
            } else {
                format!("; its standard error: {stderr_text}")
            }
        ))
    })
}

/// A credential command's standard output and error, read as they come. What was read stays
/// here when a read is abandoned (a time-out), so the reading can stop and go on.
struct Pipes {
    out: Option<tokio::process::ChildStdout>,
    err: Option<tokio::process::ChildStderr>,
    out_buf: Vec<u8>,
    err_buf: Vec<u8>,
    out_error: Option<std::io::Error>,
}

impl Pipes {
    /// Reads both to their end, or to their bound (past which a pipe is closed: the program
    /// may then die of SIGPIPE); a read error closes that pipe. Nothing read is lost when the
    /// future is dropped at an await (each read is cancel-safe).
    async fn drain(&mut self) {
        let Pipes {
            out,
            err,
            out_buf,
            err_buf,
            out_error,
        } = self;
        let mut ignored = None;
        tokio::join!(
            read_to_bound(out, out_buf, MAX_SECRET_FILE + 1, out_error),
            read_to_bound(err, err_buf, MAX_COMMAND_STDERR_READ, &mut ignored),
        );
    }
}

/// Reads `pipe` into `buf` up to `max` bytes, then closes it (`None`): at its end, at `max`,
/// or at an error (kept in `error`).
async fn read_to_bound<R: tokio::io::AsyncRead + Unpin>(
    pipe: &mut Option<R>,
    buf: &mut Vec<u8>,
    max: usize,
    error: &mut Option<std::io::Error>,
) {
    use tokio::io::AsyncReadExt;
    let mut chunk = [0u8; 8192];
    while let Some(p) = pipe.as_mut() {
        match p.read(&mut chunk).await {
            Ok(0) => *pipe = None,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() >= max {
                    buf.truncate(max);
                    *pipe = None;
                }
            }
            Err(e) => {
                *error = Some(e);
                *pipe = None;
            }
        }
    }
}

/// Resolves once the program `pid` has exited, without reaping it (the wait that follows
/// does), so its pid, which is its process group's id, is still its own. SIGCHLD wakes the
/// check; a 50 ms tick covers a signal that was missed (or no SIGCHLD stream at all).
#[cfg(unix)]
async fn exited(pid: Option<u32>, sigchld: &mut Option<tokio::signal::unix::Signal>) {
    let Some(pid) = pid.and_then(|p| libc::id_t::try_from(p).ok()) else {
        return;
    };
    let tick = Duration::from_millis(50);
    while !has_exited(pid) {
        match sigchld {
            Some(s) => {
                tokio::select! {
                    _ = s.recv() => {}
                    () = tokio::time::sleep(tick) => {}
                }
            }
            None => tokio::time::sleep(tick).await,
        }
    }
}

/// Whether the child `pid` has exited (a zombie waiting to be reaped), asked without reaping
/// it and without blocking.
#[cfg(unix)]
fn has_exited(pid: libc::id_t) -> bool {
    // SAFETY: siginfo_t is plain data, for which all zeros is a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid(2) with WNOWAIT only reports (never reaps), with WNOHANG never blocks, and
    // writes into `info`, which outlives the call.
    let r = unsafe {
        libc::waitid(
            libc::P_PID,
            pid,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    if r != 0 {
        // ECHILD: no such child to wait for (the wait that follows says how it ended). EINTR:
        // ask again at the next tick.
        return std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR);
    }
    // SAFETY: waitid returned 0 and filled `info`; si_pid stays 0 while the child runs.
    unsafe { info.si_pid() != 0 }
}

/// Kills the credential command's process group (it has its own without a terminal), so what
/// it started stops too.
#[cfg(unix)]
fn kill_group(child: &tokio::process::Child, grouped: bool) {
    if grouped && let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is
        // involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// The end of a program's standard error, on one line, without control characters; a word
/// that looks like a key (long, letters mixed with digits) is shown as `****`.
fn tail(b: &[u8], masking: Masking) -> String {
    let text = String::from_utf8_lossy(b);
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            if (masking.looks_like_key)(w) {
                "****".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let one = (masking.shown)(&words.join(" "), 500);
    let n = one.chars().count();
    if n > MAX_COMMAND_STDERR {
        format!(
            "…{}",
            one.chars().skip(n - MAX_COMMAND_STDERR).collect::<String>()
        )
    } else {
        one
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn an_exit_is_seen_without_reaping_the_program() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "exit 7"])
            .spawn()
            .unwrap();
        let pid = libc::id_t::try_from(child.id()).unwrap();
        let seen = (0..500).any(|_| {
            let done = has_exited(pid);
            if !done {
                std::thread::sleep(Duration::from_millis(10));
            }
            done
        });
        assert!(seen, "the exit was not seen within 5 s");
        // Asked twice, still there: it was not reaped, so its status is still to be had.
        assert!(has_exited(pid));
        assert_eq!(child.wait().unwrap().code(), Some(7));
        // A running program has not exited.
        let mut long = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        assert!(!has_exited(libc::id_t::try_from(long.id()).unwrap()));
        let _ = long.kill();
        let _ = long.wait();
    }

    #[tokio::test]
    async fn output_is_read_to_its_bound_and_kept_when_a_read_is_abandoned() {
        let mut error = None;
        let data = vec![b'a'; 20_000];
        let mut pipe = Some(&data[..]);
        let mut buf = Vec::new();
        read_to_bound(&mut pipe, &mut buf, 10_001, &mut error).await;
        assert_eq!(buf.len(), 10_001);
        assert!(pipe.is_none() && error.is_none());
        let mut pipe = Some(&b"key\n"[..]);
        let mut buf = Vec::new();
        read_to_bound(&mut pipe, &mut buf, 10, &mut error).await;
        assert_eq!(buf, b"key\n");
        assert!(pipe.is_none());
        // A pipe that never ends: what came before the wait is kept when the read is dropped.
        let (mut w, r) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut w, b"first")
            .await
            .unwrap();
        let mut pipe = Some(r);
        let mut buf = Vec::new();
        let waited = tokio::time::timeout(
            Duration::from_millis(50),
            read_to_bound(&mut pipe, &mut buf, 100, &mut error),
        )
        .await;
        assert!(waited.is_err());
        assert_eq!(buf, b"first");
        assert!(pipe.is_some());
        drop(w);
        read_to_bound(&mut pipe, &mut buf, 100, &mut error).await;
        assert_eq!(buf, b"first");
        assert!(pipe.is_none());
    }
}
