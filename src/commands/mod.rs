//! The commands (`update`, `get`, `list`, `create`, `revoke`, `rotate`, `support`), each in its own file, and `run`: resolve
//! the settings, install the signal handlers, run the command, print its error, and return the
//! exit code (128 + n after signal n).

mod create;
mod get;
mod lifecycle;
mod list;
mod revoke;
mod rotate;
mod runner;
mod support;
mod update;

use std::sync::Arc;
use std::time::Duration;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};
use crate::http::{Cancel, Http};
use crate::output;
use crate::provider::ProviderKind;
use crate::session::Session;
use crate::settings::Global;

/// After a first signal, how long requests in flight may take before they are dropped.
pub const GRACE: Duration = Duration::from_secs(10);

/// Runs the command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let Cli { global, command } = cli;
    let job = match command {
        Command::Update(args) => Job::Update(args),
        Command::Get(args) => Job::Get(args),
        Command::List(args) => Job::List(args),
        Command::Create(args) => Job::Create(args),
        Command::Revoke(args) => Job::Revoke(args),
        Command::Rotate(args) => Job::Rotate(args),
        Command::Support => return exit_code(support::run()),
    };
    output::set_quiet(global.quiet);
    let global = match Global::from_args(global) {
        Ok(g) => g,
        Err(e) => return exit_code(Err(e)),
    };
    let cancel = Cancel::default();
    // SIGXFSZ (a file-size limit hit while writing a secret file) would kill the run after a
    // key was made: handled (ignored), the write fails instead and the run says so.
    #[cfg(target_os = "linux")]
    let _xfsz = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(25));
    let watcher = watch_signals(cancel.clone());
    let result = match job {
        Job::Update(args) => update::run(&global, *args, &cancel).await,
        Job::Get(args) => get::run(&global, args, &cancel).await,
        Job::List(args) => list::run(&global, args, &cancel).await,
        Job::Create(args) => create::run(&global, *args, &cancel).await,
        Job::Revoke(args) => revoke::run(&global, args, &cancel).await,
        Job::Rotate(args) => rotate::run(&global, *args, &cancel).await,
    };
    watcher.abort();
    let code = match result {
        Err(e @ Error::Interrupted { .. }) => {
            let by = cancel.signal().map_or("a signal", signal_name);
            output::error(&format!(
                "stopped by {by} before the command finished ({e})"
            ));
            e.exit_code()
        }
        other => exit_code(other),
    };
    match cancel.signal() {
        Some(sig) => 128 + sig,
        None => code,
    }
}

/// A command that talks to a provider, with its own arguments.
enum Job {
    Update(Box<crate::cli::UpdateArgs>),
    Get(crate::cli::GetArgs),
    List(crate::cli::ListArgs),
    Create(Box<crate::cli::CreateArgs>),
    Revoke(crate::cli::RevokeArgs),
    Rotate(Box<crate::cli::RotateArgs>),
}

/// A command's result as the exit code (its error printed).
fn exit_code(result: Result<i32>) -> i32 {
    match result {
        Ok(code) => code,
        Err(e) => {
            output::error(&e.to_string());
            e.exit_code()
        }
    }
}

/// Provider, base URL, credential and client for a command that reads.
async fn session(global: &Global, cancel: &Cancel) -> Result<(ProviderKind, Session)> {
    let s = open(global, global.target(cancel).await?, cancel)?;
    Ok((s.p, s))
}

/// The session of a resolved target: its credential (or the error naming what to set) and a
/// client (which loads the certificate store only for an https base URL).
fn open(global: &Global, target: crate::settings::Target, cancel: &Cancel) -> Result<Session> {
    let (p, base, secret) = target.require()?;
    let http = Arc::new(Http::new(
        global.wire.clone(),
        cancel.clone(),
        base.is_tls(),
    )?);
    Ok(Session::new(p, base, http, secret))
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

/// Installs the handlers for SIGINT, SIGTERM and SIGHUP now (so none is missed once the run has
/// started) and watches them: the first stops new requests and lets those in flight finish for
/// up to [`GRACE`]; a second one, or the end of the grace, drops them. The report is printed by
/// the command in every case.
#[cfg(unix)]
fn watch_signals(cancel: Cancel) -> tokio::task::JoinHandle<()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    let mut int = signal(SignalKind::interrupt()).ok();
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    async fn recv(s: &mut Option<Signal>) {
        match s {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    tokio::spawn(async move {
        let sig = tokio::select! {
            _ = recv(&mut int) => 2,
            _ = recv(&mut term) => 15,
            _ = recv(&mut hup) => 1,
        };
        cancel.cancel(sig);
        output::warn(&format!(
            "{}: no new requests will start; waiting up to {} s for those in flight \
             (send it again to stop them now)",
            signal_name(sig),
            GRACE.as_secs()
        ));
        tokio::select! {
            _ = recv(&mut int) => output::warn("second signal: stopping the requests in flight"),
            _ = recv(&mut term) => output::warn("second signal: stopping the requests in flight"),
            _ = recv(&mut hup) => output::warn("second signal: stopping the requests in flight"),
            _ = tokio::time::sleep(GRACE) => output::warn(&format!(
                "requests in flight did not finish within {} s: stopping them",
                GRACE.as_secs()
            )),
        }
        cancel.cancel_hard();
    })
}

#[cfg(not(unix))]
fn watch_signals(cancel: Cancel) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel(2);
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel_hard();
            }
        }
    })
}
