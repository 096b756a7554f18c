//! The settings step: flags and environment resolved into one plain struct per command before
//! anything runs (as uv does). `GlobalArgs` and `UpdateArgs` are destructured without `..`, so a
//! new flag cannot be forgotten here; commands see only what this module resolved.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::{GlobalArgs, UpdateArgs};
use crate::error::{Error, Result, Sent};
use crate::http::{Cancel, WireOptions};
use crate::output::{self, Format, View};
use crate::patch::{LimitArg, Patch, Relative};
use crate::provider::{BaseUrl, ProviderKind};
use crate::secret::{self, MAX_SECRET_FILE, ReadError, Secret};

/// The most bytes `--from-file` reads (a million 32-byte ids fit): more is a usage error.
pub const MAX_KEY_FILE: usize = 32 * 1024 * 1024;

/// The global options, resolved (no I/O yet): a flag wins over its environment variable, which
/// wins over the built-in default; an empty variable counts as unset.
#[derive(Debug)]
pub struct Global {
    /// `-p`, else KEYCTL_PROVIDER (checked when a command needs a provider: `support` does not).
    provider: Option<ProviderKind>,
    provider_env: Option<String>,
    pub base_url: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub view: View,
    pub quiet: bool,
    pub wire: WireOptions,
}

/// `--columns id,name,limit`: known names (or table headers), in the order given.
fn parse_columns(list: &str) -> Result<Vec<&'static output::Column>> {
    let mut cols: Vec<&'static output::Column> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        // The name, or the header a table shows (`diem`, `last used`, `byok`, `total`).
        let header = name.replace('_', " ");
        let Some(c) = output::COLUMNS
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name) || c.header.eq_ignore_ascii_case(&header))
        else {
            return Err(Error::usage(format!(
                "--columns: no column '{}'; the columns are {}",
                crate::text::truncate(name, 40),
                output::column_names().join(", ")
            )));
        };
        cols.push(c);
    }
    if cols.is_empty() {
        return Err(Error::usage(format!(
            "--columns: give at least one column: {}",
            output::column_names().join(", ")
        )));
    }
    Ok(cols)
}

/// A variable's value, when it is set to something other than white space.
fn env_value(name: &str) -> Option<String> {
    let v = std::env::var_os(name)?;
    let v = v.to_string_lossy().trim().to_string();
    (!v.is_empty()).then_some(v)
}

impl Global {
    pub fn from_args(g: GlobalArgs) -> Result<Global> {
        let GlobalArgs {
            provider,
            base_url,
            api_key_file,
            output,
            no_headers,
            columns,
            verbose,
            quiet,
            retries,
            timeout,
            connect_timeout,
            max_wait,
        } = g;
        let output = match (output, env_value("KEYCTL_OUTPUT")) {
            (Some(o), _) => o,
            (None, Some(v)) => <Format as clap::ValueEnum>::from_str(&v, true).map_err(|_| {
                Error::usage(format!(
                    "KEYCTL_OUTPUT='{}' is not an output format; use table, tsv or json (or unset it)",
                    crate::text::truncate(&v, 40)
                ))
            })?,
            (None, None) => View::default_format(),
        };
        let columns = columns.as_deref().map(parse_columns).transpose()?;
        Ok(Global {
            provider,
            provider_env: env_value("KEYCTL_PROVIDER"),
            base_url,
            api_key_file,
            view: View {
                format: output,
                no_headers,
                columns,
                verbose,
            },
            quiet,
            wire: WireOptions {
                retries,
                timeout,
                connect_timeout,
                max_wait,
                verbose,
                backoff_base: backoff_base(),
            },
        })
    }

    /// The provider from -p, else KEYCTL_PROVIDER.
    pub fn provider(&self) -> Result<ProviderKind> {
        let ids: Vec<&str> = crate::provider::all().iter().map(|p| p.info().id).collect();
        match (self.provider, &self.provider_env) {
            (Some(p), _) => Ok(p),
            (None, Some(v)) => <ProviderKind as clap::ValueEnum>::from_str(v, true).map_err(|_| {
                Error::usage(format!(
                    "KEYCTL_PROVIDER='{}' is not a provider; use one of {} (or pass -p)",
                    crate::text::truncate(v, 40),
                    ids.join(", ")
                ))
            }),
            (None, None) => Err(Error::usage(format!(
                "no provider given: pass -p/--provider ({}) or set KEYCTL_PROVIDER",
                ids.join(", ")
            ))),
        }
    }

    /// Provider, credential and base URL. The credential is read first, so it is registered
    /// for masking before any message can echo input; an unusable one is kept as an error for
    /// the command to report when it needs a credential.
    pub async fn target(&self, cancel: &Cancel) -> Result<Target> {
        let p = self.provider()?;
        let credential = credential(p, self.api_key_file.as_deref(), cancel).await;
        let base = base_url(p, self.base_url.as_deref())?;
        Ok(Target {
            p,
            base,
            credential,
        })
    }
}

/// Where requests go and with what credential.
pub struct Target {
    pub p: ProviderKind,
    pub base: BaseUrl,
    /// `Ok(None)`: no source is set.
    pub credential: Result<Option<Secret>>,
}

impl Target {
    /// The credential, or the error that names what to set.
    pub fn require(self) -> Result<(ProviderKind, BaseUrl, Secret)> {
        match self.credential? {
            Some(s) => Ok((self.p, self.base, s)),
            None => Err(missing(self.p)),
        }
    }
}

/// The error for a missing credential: which variable to set.
pub fn missing(p: ProviderKind) -> Error {
    Error::Credential(format!(
        "missing {p} admin credential: set {} or pass --api-key-file PATH (- for stdin)",
        p.info().credential_env
    ))
}

/// `keyctl update`, resolved: the change as a [`Patch`] (checked against the clock now), the
/// relative limit, and how the keys are chosen and run.
#[derive(Debug)]
pub struct Update {
    pub keys: Vec<String>,
    pub from_file: Option<PathBuf>,
    pub match_glob: Option<String>,
    pub yes: bool,
    pub concurrency: usize,
    pub max_failures: usize,
    pub patch: Patch,
    pub relative: Option<Relative>,
    pub dry_run: bool,
}

impl Update {
    pub fn from_args(args: UpdateArgs, global: &Global, now: DateTime<Utc>) -> Result<Update> {
        let UpdateArgs {
            keys,
            from_file,
            match_glob,
            yes,
            concurrency,
            max_failures,
            limit_max,
            change,
            dry_run,
        } = args;
        check_stdin(from_file.as_deref(), global)?;
        let relative = match (&change.limit, limit_max) {
            (Some(LimitArg::Relative(d)), max) => Some(Relative { delta: *d, max }),
            (_, Some(_)) => {
                return Err(Error::usage(
                    "--limit-max caps a relative change: use it with --limit +N or --limit -N",
                ));
            }
            _ => None,
        };
        Ok(Update {
            keys,
            from_file,
            match_glob,
            yes,
            concurrency: concurrency.into(),
            max_failures: max_failures as usize,
            patch: Patch::from_args(change, now)?,
            relative,
            dry_run,
        })
    }
}

/// Only one input may be standard input (checked before the credential is read from it).
pub fn check_stdin(from_file: Option<&Path>, global: &Global) -> Result<()> {
    if from_file == Some(Path::new("-")) && global.api_key_file.as_deref() == Some(Path::new("-")) {
        return Err(Error::usage(
            "--from-file - and --api-key-file - both read standard input; give one of them a file",
        ));
    }
    Ok(())
}

/// --base-url, then KEYCTL_<ID>_BASE_URL, then the provider's documented default.
pub fn base_url(p: ProviderKind, flag: Option<&str>) -> Result<BaseUrl> {
    if let Some(u) = flag {
        return BaseUrl::parse(u);
    }
    match std::env::var(p.base_url_env()) {
        Ok(u) if !u.trim().is_empty() => BaseUrl::parse(&u)
            .map_err(|e| Error::usage(format!("{} (from {})", e, p.base_url_env()))),
        _ => BaseUrl::parse(p.info().base_url),
    }
}

/// The admin credential from --api-key-file or the provider's variable, checked (see
/// `Secret::parse`) and registered for masking. `Ok(None)`: none is set. Never printed.
pub async fn credential(
    p: ProviderKind,
    file: Option<&Path>,
    cancel: &Cancel,
) -> Result<Option<Secret>> {
    let var = p.info().credential_env;
    let from_env = match std::env::var(var) {
        Ok(v) => Secret::parse(&v, var),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::Credential(format!(
            "{var} is not valid UTF-8; set it to the {p} admin key"
        ))),
        Err(std::env::VarError::NotPresent) => Ok(None),
    };
    // The variable's value is masked even when --api-key-file wins (it may be pasted as a path).
    if let Ok(Some(s)) = &from_env {
        secret::register(s);
    }
    let Some(path) = file else {
        return from_env;
    };
    let source = if path == Path::new("-") {
        "standard input (--api-key-file -)".to_string()
    } else {
        format!("the file {}", path.display())
    };
    let read = read_input(path, MAX_SECRET_FILE, cancel).await?;
    let text = read.map_err(|e| {
        Error::Credential(match e {
            ReadError::TooLarge => format!(
                "{source} is larger than {} KiB; --api-key-file must hold only the admin key",
                MAX_SECRET_FILE / 1024
            ),
            ReadError::NotUtf8 => {
                format!("{source} is not UTF-8 text; --api-key-file must hold only the admin key")
            }
            ReadError::Io(e) => format!("cannot read {source}: {e}; check --api-key-file"),
        })
    })?;
    let Some(s) = Secret::parse(&text, &source)? else {
        return Err(Error::Credential(format!(
            "{source} (--api-key-file) is empty; put the {p} admin key in it"
        )));
    };
    secret::register(&s);
    Ok(Some(s))
}

/// Reads a file, or standard input for `-`, up to `max` bytes, on a blocking thread so that a
/// signal still stops the run while it waits (e.g. on a pipe that never closes).
pub async fn read_input(
    path: &Path,
    max: usize,
    cancel: &Cancel,
) -> Result<std::result::Result<String, ReadError>> {
    let path = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        if path == Path::new("-") {
            secret::read_bounded(std::io::stdin().lock(), max)
        } else {
            std::fs::File::open(&path)
                .map_err(ReadError::Io)
                .and_then(|f| secret::read_bounded(f, max))
        }
    });
    tokio::select! {
        r = read => r.map_err(|e| Error::Internal(format!("reading input failed: {e}"))),
        _ = cancel.cancelled() => Err(Error::Interrupted { sent: Sent::Nothing }),
    }
}

/// Whether a person can answer a question: standard input and standard error are terminals.
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks `question [y/N]` on stderr and reads one line of standard input: `y` or `yes` (any
/// case) is yes; anything else, an empty line or end of input is no. A signal stops the wait.
pub async fn confirm(question: &str, cancel: &Cancel) -> Result<bool> {
    output::prompt(&format!("{question} [y/N] "));
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|n| (n, line))
    });
    let answer = tokio::select! {
        r = read => r,
        _ = cancel.cancelled() => {
            output::prompt("\n");
            return Err(Error::Interrupted { sent: Sent::Nothing });
        }
    };
    match answer {
        Ok(Ok((n, line))) if n > 0 => Ok(matches!(
            line.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        )),
        // End of input (Ctrl-D), or a terminal that went away: no. A hangup closes the
        // terminal just before its SIGHUP arrives: give the signal a moment to win, so the
        // exit says what happened (129).
        _ => {
            output::prompt("\n");
            if cancel.sleep(std::time::Duration::from_millis(100)).await {
                Ok(false)
            } else {
                Err(Error::Interrupted {
                    sent: Sent::Nothing,
                })
            }
        }
    }
}

/// 500 ms, or KEYCTL_BACKOFF_MS (used by the test suite to keep retry tests fast).
fn backoff_base() -> Duration {
    let ms = std::env::var("KEYCTL_BACKOFF_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(500);
    Duration::from_millis(ms)
}
