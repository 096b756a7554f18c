//! The commands (`update`, `get`, `list`, `create`, `revoke`, `rotate`, `support`), each in its own file, and `run`: resolve
//! the settings, install the signal handlers, run the command, print its error, and return the
//! exit code (128 + n after signal n).

mod adopt;
mod apply;
mod auth;
mod check;
mod completions;
mod create;
mod export;
mod get;
mod keys;
mod lifecycle;
mod list;
mod log;
mod plan;
mod providers;
mod report;
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
    // Generated from the command line alone: no config file, no settings.
    match &command {
        Command::Completions(a) => return exit_code(completions::completions(a.shell)),
        Command::Man => return exit_code(completions::man()),
        _ => {}
    }
    output::set_quiet(global.quiet);
    let config = match crate::config::load() {
        Ok(c) => c,
        Err(e) => return exit_code(Err(e)),
    };
    config.install();
    if let Command::Support = command {
        return exit_code(support::run(&global));
    }
    let mut global = global;
    // `log -P NAME` filters by a name the trail holds: the profile may be gone from the config
    // file, so it is not resolved as the profile in effect.
    let log_profile = match &command {
        Command::Log(_) => global.profile.take(),
        _ => None,
    };
    // `export -o toml|json`: its own formats, not a listing's.
    let export_format = match &command {
        Command::Export(_) => global.output.take(),
        _ => None,
    };
    // `plan -o table|tsv` is refused, not taken as text: `plan` sees the flag as given.
    let plan_output = match &command {
        Command::Plan(_) => global.output,
        _ => None,
    };
    let global = match Global::from_args(global, config) {
        Ok(g) => g,
        Err(e) => return exit_code(Err(e)),
    };
    let job = match command {
        Command::Update(args) => Job::Update(args),
        Command::Get(args) => Job::Get(args),
        Command::List(args) => Job::List(args),
        Command::Create(args) => Job::Create(args),
        Command::Revoke(args) => Job::Revoke(args),
        Command::Rotate(args) => Job::Rotate(args),
        Command::Auth(crate::cli::AuthCommand::Status(args)) => Job::Auth(args),
        Command::Check(args) => Job::Check(args),
        Command::Export(args) => Job::Export(args, export_format),
        Command::Plan(mut args) => {
            args.output = plan_output;
            Job::Plan(args)
        }
        Command::Apply(args) => Job::Apply(args),
        Command::Providers => return exit_code(providers::run(&global)),
        Command::Log(args) => return exit_code(log_command(&global, args, log_profile)),
        Command::Support | Command::Completions(_) | Command::Man => return 0,
    };
    let all = matches!(&job, Job::Auth(a) if a.all)
        || matches!(&job, Job::Check(a) if a.all)
        || matches!(&job, Job::Export(a, _) if a.all);
    if global.view.verbose
        && !all
        && let Some(p) = global.profile()
    {
        let kind = p.provider.kind();
        output::diag(&format!(
            "profile {} ({}): {kind} credential from {}",
            p.name,
            global.config.describe(),
            global.source(kind, Some(p))
        ));
    }
    // The trail itself is opened by the command's `report::Reporter`, which records each
    // result in it.
    let writes = job.writes();
    if let (Err(e), true) = (&global.audit, writes) {
        return exit_code(Err(Error::usage(e.clone())));
    }
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
        Job::Auth(args) => auth::run(&global, args, &cancel).await,
        Job::Check(args) => check::run(&global, args, &cancel).await,
        Job::Export(args, format) => export::run(&global, args, format, &cancel).await,
        Job::Plan(args) => plan::run(&global, args, &cancel).await,
        Job::Apply(args) => apply::run(&global, args, &cancel).await,
    };
    // A signal that arrived while the run was busy in blocking code (an audit lock) is
    // handled now, so the exit code still says the run was stopped.
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
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
        None => output::finish(code, writes),
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
    Auth(crate::cli::AuthStatusArgs),
    Check(crate::cli::CheckArgs),
    Export(crate::cli::ExportArgs, Option<crate::cli::OutputArg>),
    Plan(crate::cli::PlanArgs),
    Apply(crate::cli::ApplyArgs),
}

impl Job {
    /// Whether the run may write (the audit trail records only such runs: a dry run's or a
    /// read's failure is not a change).
    fn writes(&self) -> bool {
        match self {
            Job::Update(a) => !a.dry_run,
            Job::Create(a) => !a.dry_run,
            Job::Revoke(a) => !a.dry_run,
            Job::Rotate(a) => !a.dry_run,
            Job::Apply(_) => true,
            Job::Get(_)
            | Job::List(_)
            | Job::Auth(_)
            | Job::Check(_)
            | Job::Export(..)
            | Job::Plan(_) => false,
        }
    }
}

/// `keyctl log`: the audit trail, filtered by --since, --key, --action, --status, --name, -p
/// and -P, the last -n N of it.
fn log_command(global: &Global, args: crate::cli::LogArgs, profile: Option<String>) -> Result<i32> {
    let crate::cli::LogArgs {
        since,
        key,
        action,
        status,
        name,
        tail,
    } = args;
    let provider = global.provider_name().map(|n| {
        crate::provider::find(n).map_or_else(|| n.to_ascii_lowercase(), |p| p.info().id.to_string())
    });
    let filter = crate::audit::Filter {
        since,
        key,
        provider,
        profile,
        ..log::filters(action, status, name.as_deref(), tail)?
    };
    let enabled = global.audit.as_ref().is_ok_and(Option::is_some);
    let (provider, profile) = (filter.provider.clone(), filter.profile.clone());
    let code = log::run(
        &global.listing_view(),
        crate::audit::default_path().as_deref(),
        enabled,
        filter,
        global.quiet,
    )?;
    adopt::say_pending(provider.as_deref(), profile.as_deref());
    Ok(code)
}

/// The accounts a multi-account command covers: every profile with `--all` (only those of
/// `-p`'s provider when it is given), else the profile in effect, else none (the provider of
/// `-p` with its own variable).
fn scopes(global: &Global, all: bool) -> Result<Vec<Option<&crate::config::Profile>>> {
    if !all {
        return Ok(vec![global.profile()]);
    }
    if global.profile_flag().is_some() {
        return Err(Error::usage(
            "--all covers every profile: give it or -P/--profile NAME, not both",
        ));
    }
    if global.api_key_file.is_some() || global.base_url.is_some() || global.workspace.is_some() {
        return Err(Error::usage(
            "--api-key-file, --base-url and --workspace name one account: use them with -p or \
             -P, not --all (a profile's own workspace applies under --all)",
        ));
    }
    let only = match global.provider_name() {
        Some(n) => Some(crate::provider::find(n).ok_or_else(|| {
            Error::usage(format!("no provider '{}'", crate::text::truncate(n, 40)))
        })?),
        None => None,
    };
    let list: Vec<_> = global
        .config
        .profiles
        .iter()
        .filter(|p| only.is_none_or(|k| p.provider.kind() == k))
        .map(Some)
        .collect();
    // A base URL variable would send every profile of its provider (each with its own
    // credential) to one address.
    for p in &list {
        let var = p
            .map(|p| p.provider.kind().base_url_env())
            .unwrap_or_default();
        if crate::env::get().base_url(&var).is_some() {
            return Err(Error::usage(format!(
                "--all: {var} is set and would send every such profile's credential to that one \
                 URL; unset it, or check one profile with -P NAME"
            )));
        }
    }
    if list.is_empty() {
        return Err(Error::usage(format!(
            "--all: no profiles{} in the config file {}; add [profiles.NAME] tables (see the \
             README, Configuration)",
            only.map_or(String::new(), |k| format!(" for {k}")),
            global.config.describe()
        )));
    }
    Ok(list)
}

/// 3 when any credential is rejected or missing, else 8 when any provider is unreachable,
/// else the first other failure's code, else 0.
pub(crate) fn worst(codes: &[i32]) -> i32 {
    [3, 8]
        .into_iter()
        .find(|c| codes.contains(c))
        .or_else(|| codes.iter().copied().find(|&c| c != 0))
        .unwrap_or(0)
}

/// `--columns` picks key columns; the other listings refuse it.
fn no_columns(global: &Global, what: &str) -> Result<()> {
    if global.view.columns.is_some() {
        return Err(Error::usage(format!(
            "--columns applies to key output, not to `{what}`"
        )));
    }
    Ok(())
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
    open_with(global.wire.clone(), target, cancel)
}

/// [`open`] with a profile's own network options.
fn open_with(
    wire: crate::http::WireOptions,
    target: crate::settings::Target,
    cancel: &Cancel,
) -> Result<Session> {
    let hint = target.hint();
    let (p, base, secret) = target.require()?;
    let http = Arc::new(Http::new(wire, cancel.clone(), base.is_tls())?);
    Ok(Session::new(p, base, http, secret).with_source(hint))
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
