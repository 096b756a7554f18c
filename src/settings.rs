//! The settings step: flags and environment resolved into one plain struct per command before
//! anything runs (as uv does). `GlobalArgs` and `UpdateArgs` are destructured without `..`, so a
//! new flag cannot be forgotten here; commands see only what this module resolved.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::{Batch, GlobalArgs, KeySelection, UpdateArgs};
use crate::config::{Config, Profile};
use crate::credential::Source;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::http::{Cancel, WireOptions};
use crate::output::{Format, View};
use crate::patch::{LimitArg, Patch, Relative};
use crate::provider::{BaseUrl, ProviderKind};

/// The most bytes `--from-file` reads (a million 32-byte ids fit): more is a usage error.
pub const MAX_KEY_FILE: usize = 32 * 1024 * 1024;

/// The global options, resolved (no I/O yet) with the config file: a flag wins over its
/// environment variable, which wins over the profile, which wins over the built-in default
/// (README, "Configuration"); an empty variable counts as unset.
#[derive(Debug)]
pub struct Global {
    /// `-p`, else KEYCTL_PROVIDER (checked when a command needs a provider: `support` does not).
    provider: Option<(String, Origin)>,
    pub base_url: Option<String>,
    /// `--workspace` as given (checked against the provider when a target is resolved).
    pub workspace: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub view: View,
    pub quiet: bool,
    pub wire: WireOptions,
    pub config: Config,
    /// The variables resolved against (`env::get()`, the process's, outside tests).
    env: &'static Env,
    /// The profile in effect (its index in `config.profiles`), if any.
    profile: Option<usize>,
    /// `-P` as given (`log` filters by it).
    profile_flag: Option<String>,
    /// The audit trail's file, when auditing is on (KEYCTL_AUDIT, the file's `audit`); an
    /// unusable KEYCTL_AUDIT, for the writing commands to report.
    pub audit: std::result::Result<Option<PathBuf>, String>,
    /// The output format came from the profile (listings that are not one account's keys
    /// use the built-in default instead).
    output_from_profile: bool,
    /// `--retries` and `--timeout` as given (a profile's own apply where these are None).
    retries_flag: Option<u32>,
    timeout_flag: Option<Duration>,
}

/// Masking as the credential readers use it.
const MASKING: crate::credential::Masking = crate::credential::Masking {
    register: crate::mask::register,
    shown: crate::text::truncate,
    looks_like_key: crate::mask::looks_like_key,
};

/// Where a choice came from (for the precedence rules between `-P` and `-p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    File,
}

impl Global {
    pub fn from_args(g: GlobalArgs, config: Config) -> Result<Global> {
        Global::resolve(g, config, crate::env::get())
    }

    /// [`Global::from_args`] with the variables of `env` (a test's own, or the process's).
    pub fn resolve(g: GlobalArgs, config: Config, env: &'static Env) -> Result<Global> {
        let GlobalArgs {
            provider,
            profile,
            base_url,
            workspace,
            api_key_file,
            output,
            no_headers,
            columns,
            wide,
            verbose,
            quiet,
            retries,
            timeout,
            connect_timeout,
            max_wait,
        } = g;
        let output = output.map(crate::cli::OutputArg::format).transpose()?;
        check_env_base_urls(env)?;
        note_profiles(&config);
        let provider = match (provider, env.provider()) {
            (Some(p), _) => Some((p, Origin::Flag)),
            (None, Some(v)) => Some((v, Origin::Env)),
            (None, None) => None,
        };
        let profile_flag = profile.clone();
        let audit = crate::audit::enabled(config.audit)
            .map(|on| on.then(crate::audit::default_path).flatten());
        let chosen = choose_profile(&config, profile, provider.as_ref(), env)?;
        let prof = chosen.map(|i| &config.profiles[i]);
        let output_from_profile =
            output.is_none() && env.output().is_none() && prof.is_some_and(|p| p.output.is_some());
        let output = match (output, env.output()) {
            (Some(o), _) => o,
            (None, Some(v)) => <Format as clap::ValueEnum>::from_str(&v, true).map_err(|_| {
                Error::usage(format!(
                    "KEYCTL_OUTPUT='{}' is not an output format; use table, tsv or json (or unset it)",
                    crate::config::shown(&v)
                ))
            })?,
            // A table is for a terminal: a profile's `table` does not reach a pipe.
            (None, None) => match prof.and_then(|p| p.output) {
                Some(Format::Table) => View::default_format(),
                Some(f) => f,
                None => View::default_format(),
            },
        };
        let columns = columns.map(|c| c.0);
        crate::session::set_verbose(verbose);
        let mut global = Global {
            provider,
            base_url,
            workspace,
            api_key_file,
            view: View {
                format: output,
                no_headers,
                columns,
                verbose,
                wide,
            },
            quiet,
            wire: WireOptions {
                retries: 3,
                timeout: Duration::from_secs(30),
                connect_timeout,
                max_wait,
                verbose,
                backoff_base: backoff_base(env),
            },
            config,
            env,
            profile: chosen,
            profile_flag,
            audit,
            output_from_profile,
            retries_flag: retries,
            timeout_flag: timeout,
        };
        global.wire = global.wire_for(global.profile());
        Ok(global)
    }

    /// The view for listings that are not one account's keys (`providers`, `log`, `auth
    /// status`, `check`): a profile's `output` does not apply to them.
    pub fn listing_view(&self) -> View {
        let mut v = self.view.clone();
        if self.output_from_profile {
            v.format = View::default_format();
        }
        v
    }

    /// The profile in effect: `-P`, else KEYCTL_PROFILE, else the file's `default_profile`
    /// (unless `-p`/KEYCTL_PROVIDER names another provider).
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.map(|i| &self.config.profiles[i])
    }

    /// The network options for a profile: flags, then the profile's, then the defaults.
    pub fn wire_for(&self, profile: Option<&Profile>) -> WireOptions {
        WireOptions {
            retries: self
                .retries_flag
                .or(profile.and_then(|p| p.retries))
                .unwrap_or(3),
            timeout: self
                .timeout_flag
                .or(profile.and_then(|p| p.timeout))
                .unwrap_or(Duration::from_secs(30)),
            ..self.wire.clone()
        }
    }

    /// A command's `--concurrency`, else the profile's, else 4.
    pub fn concurrency(&self, flag: Option<u16>) -> usize {
        usize::from(
            flag.or(self.profile().and_then(|p| p.concurrency))
                .unwrap_or(4),
        )
    }

    /// The provider: the profile's, else -p, else KEYCTL_PROVIDER.
    pub fn provider(&self) -> Result<ProviderKind> {
        if let Some(p) = self.profile() {
            return Ok(p.provider.kind());
        }
        match &self.provider {
            Some((name, origin)) => find_provider(name, *origin),
            None => {
                let profiles = if self.config.profiles.is_empty() {
                    String::new()
                } else {
                    format!(", or -P/--profile NAME ({})", profile_names(&self.config))
                };
                Err(Error::usage(format!(
                    "no provider given: pass -p/--provider ({}) or set KEYCTL_PROVIDER{profiles}",
                    provider_ids().join(", ")
                )))
            }
        }
    }

    /// `-P` as given on the command line.
    pub fn profile_flag(&self) -> Option<&str> {
        self.profile_flag.as_deref()
    }

    /// The provider given by -p/KEYCTL_PROVIDER, if any (`log` filters by it).
    pub fn provider_name(&self) -> Option<&str> {
        self.provider.as_ref().map(|(n, _)| n.as_str())
    }

    /// Provider, credential and base URL of the profile in effect (or of -p alone).
    pub async fn target(&self, cancel: &Cancel) -> Result<Target> {
        self.target_in(self.profile(), cancel).await
    }

    /// Provider, credential and base URL for a profile (`None`: -p and the provider's own
    /// variable). The credential is read first, so it is registered for masking before any
    /// message can echo input; an unusable one is kept as an error for the command to report
    /// when it needs a credential.
    pub async fn target_in(&self, profile: Option<&Profile>, cancel: &Cancel) -> Result<Target> {
        let p = match profile {
            Some(pr) => pr.provider.kind(),
            None => self.provider()?,
        };
        self.target_for(p, profile, cancel).await
    }

    /// [`Global::target_in`] for a provider named by the caller (a key file's `provider =`).
    pub async fn target_for(
        &self,
        p: ProviderKind,
        profile: Option<&Profile>,
        cancel: &Cancel,
    ) -> Result<Target> {
        let source = self.source(p, profile);
        let owner = crate::credential::Owner {
            provider: &p.to_string(),
            own_var: p.info().credential_env,
        };
        let credential = crate::credential::read(
            owner,
            self.api_key_file.as_deref(),
            &source,
            cancel.cancelled(),
            MASKING,
        )
        .await;
        let base = self
            .base_in(p, profile)?
            .with_workspace(self.workspace_in(p, profile)?);
        Ok(Target {
            p,
            base,
            credential,
            source,
            profile: profile.map(|pr| pr.name.clone()),
            from_flag: self.api_key_file.is_some(),
        })
    }

    /// The base URL for a provider and profile: --base-url, else KEYCTL_<ID>_BASE_URL, else
    /// the profile's `base_url`, else the provider's own.
    pub fn base_in(&self, p: ProviderKind, profile: Option<&Profile>) -> Result<BaseUrl> {
        let from_env = self.env.base_url(&p.base_url_env()).is_some();
        match (
            self.base_url.as_deref(),
            profile.and_then(|pr| pr.base_url.as_deref()),
        ) {
            (None, Some(from_profile)) if !from_env => BaseUrl::parse(from_profile),
            (flag, _) => base_url_in(p, flag, self.env),
        }
    }

    /// The workspace for a provider and profile: --workspace, else the profile's `workspace`
    /// (checked when the file was read). `--workspace` on a provider without workspaces, or not
    /// a UUID, is exit 2 before anything is sent.
    pub fn workspace_in(
        &self,
        p: ProviderKind,
        profile: Option<&Profile>,
    ) -> Result<Option<crate::provider::Workspace>> {
        let Some(flag) = &self.workspace else {
            return Ok(profile.and_then(|pr| pr.workspace.clone()));
        };
        if !p.info().workspaces {
            return Err(p.info().no_workspaces("--workspace"));
        }
        crate::provider::Workspace::parse(flag, "--workspace")
            .map(Some)
            .map_err(Error::usage)
    }

    /// Where a provider's credential comes from: --api-key-file, else the profile's source,
    /// else a custom provider's, else the provider's variable.
    pub fn source(&self, p: ProviderKind, profile: Option<&Profile>) -> Source {
        if let Some(f) = &self.api_key_file {
            return Source::File(f.clone());
        }
        if let Some(pr) = profile {
            return pr.credential.clone();
        }
        if let Some(c) = self.config.custom(p) {
            return c.credential.clone();
        }
        Source::Env(p.info().credential_env.to_string())
    }
}

mod target;
#[cfg(test)]
mod tests;

use target::note_profiles;
pub use target::{Target, missing};

/// The built-in and configured provider ids.
fn provider_ids() -> Vec<&'static str> {
    crate::provider::configured()
        .iter()
        .map(|p| p.info().id)
        .collect()
}

fn profile_names(c: &Config) -> String {
    c.profiles
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A provider by name (-p or KEYCTL_PROVIDER), or the usage error that lists the choices.
fn find_provider(name: &str, origin: Origin) -> Result<ProviderKind> {
    crate::provider::find(name).ok_or_else(|| {
        let what = match origin {
            Origin::Env => format!(
                "KEYCTL_PROVIDER='{}' is not a provider",
                crate::config::shown(name)
            ),
            _ => format!(
                "invalid value '{}' for -p/--provider",
                crate::config::shown(name)
            ),
        };
        Error::usage(format!(
            "{what}; use one of {} (or define it under [providers.NAME] in the config file)",
            provider_ids().join(", ")
        ))
    })
}

/// The profile in effect, by the precedence rules: `-P` beats KEYCTL_PROFILE beats the file's
/// `default_profile`. A profile for another provider than `-p`/KEYCTL_PROVIDER names is a usage
/// error when both come from the same level (both flags, both variables); across levels the
/// higher one wins (a lower profile is then not used).
fn choose_profile(
    config: &Config,
    flag: Option<String>,
    provider: Option<&(String, Origin)>,
    env: &Env,
) -> Result<Option<usize>> {
    let (name, origin) = match (flag, env.profile(), &config.default_profile) {
        (Some(n), _, _) => (n, Origin::Flag),
        (None, Some(n), _) => (n, Origin::Env),
        (None, None, Some(n)) => (n.clone(), Origin::File),
        (None, None, None) => return Ok(None),
    };
    let Some(i) = config.profiles.iter().position(|p| p.name == name) else {
        let by = if origin == Origin::Env {
            "KEYCTL_PROFILE: "
        } else {
            "-P/--profile: "
        };
        let list = if config.profiles.is_empty() {
            format!("there are no profiles (config file: {})", config.describe())
        } else {
            format!(
                "the profiles are {} (in {})",
                profile_names(config),
                config.describe()
            )
        };
        return Err(Error::usage(format!(
            "{by}no profile '{}'; {list}",
            crate::config::shown(&name)
        )));
    };
    let Some((pname, porigin)) = provider else {
        return Ok(Some(i));
    };
    // `default_profile` is for runs that name nothing: `-p venice` means the provider's own
    // variable, even when the default profile is a Venice one.
    if origin == Origin::File {
        find_provider(pname, *porigin)?;
        return Ok(None);
    }
    let prof = &config.profiles[i];
    let wanted = find_provider(pname, *porigin)?;
    if wanted == prof.provider.kind() {
        return Ok(Some(i));
    }
    let rank = |o: Origin| match o {
        Origin::Flag => 2,
        Origin::Env => 1,
        Origin::File => 0,
    };
    match rank(origin).cmp(&rank(*porigin)) {
        std::cmp::Ordering::Greater => Ok(Some(i)),
        std::cmp::Ordering::Less => Ok(None),
        std::cmp::Ordering::Equal => Err(Error::usage(format!(
            "profile '{}' is for {}, but {} names {}: give one of them",
            prof.name,
            prof.provider.kind(),
            if *porigin == Origin::Flag {
                "-p"
            } else {
                "KEYCTL_PROVIDER"
            },
            wanted
        ))),
    }
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
    /// `--if-*`: write only the keys that meet any of these (`check`'s criteria); None when no
    /// condition is given.
    pub conditions: Option<crate::criteria::Criteria>,
}

impl Update {
    pub fn from_args(args: UpdateArgs, global: &Global, now: DateTime<Utc>) -> Result<Update> {
        let UpdateArgs {
            select:
                KeySelection {
                    keys,
                    from_file,
                    match_glob,
                },
            yes,
            batch: Batch {
                concurrency,
                max_failures,
            },
            limit_max,
            change,
            dry_run,
            if_blocked,
            if_usage_over,
            if_remaining_under,
            if_expiring_within,
        } = args;
        check_stdin(from_file.as_deref(), global)?;
        // check's parsers, their messages naming update's flags.
        let named = |e: String| {
            Error::usage(
                e.replace("--usage-over", "--if-usage-over")
                    .replace("--remaining-under", "--if-remaining-under"),
            )
        };
        let conditions = crate::criteria::Criteria {
            usage_over: if_usage_over
                .map(|s| s.parse::<crate::criteria::UsageOver>().map_err(named))
                .transpose()?,
            remaining_under: if_remaining_under
                .map(|s| crate::criteria::parse_remaining_under(&s).map_err(named))
                .transpose()?,
            expiring_within: if_expiring_within,
            blocked: if_blocked,
            ..crate::criteria::Criteria::default()
        };
        let conditions = (!conditions.is_empty()).then_some(conditions);
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
            concurrency: global.concurrency(concurrency),
            max_failures: max_failures as usize,
            patch: change.into_patch(now)?,
            relative,
            dry_run,
            conditions,
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

/// --base-url, then KEYCTL_<ID>_BASE_URL (refused, not shown, when it holds something that
/// looks like a key: see [`env_base_url`]), then the provider's documented default.
pub fn base_url(p: ProviderKind, flag: Option<&str>) -> Result<BaseUrl> {
    base_url_in(p, flag, crate::env::get())
}

/// [`base_url`] with the variables of `env`.
fn base_url_in(p: ProviderKind, flag: Option<&str>, env: &Env) -> Result<BaseUrl> {
    if let Some(u) = flag {
        return BaseUrl::parse(u);
    }
    match env_base_url(p, env)? {
        Some(u) => BaseUrl::parse(&u).map_err(|e| {
            let var = p.base_url_env();
            if crate::config::looks_like_key(&u) {
                Error::usage(format!(
                    "{var} is not a usable base URL (not shown: it holds something that looks \
                     like a key); set it to the service's https:// address"
                ))
            } else {
                Error::usage(format!("{e} (from {var})"))
            }
        }),
        None => BaseUrl::parse(p.info().base_url),
    }
}

/// The provider's KEYCTL_<ID>_BASE_URL, when set to something other than white space. One that
/// holds something that looks like a key outside its scheme, host and port (the same check as
/// a config file's `base_url`) is refused, exit 2, without its value: `providers`, `auth
/// status` and `-v` would print it.
fn env_base_url(p: ProviderKind, env: &Env) -> Result<Option<String>> {
    let var = p.base_url_env();
    let Some(u) = env.base_url(&var).map(str::to_string) else {
        return Ok(None);
    };
    if crate::config::url_holds_key(&u) {
        return Err(Error::usage(format!(
            "{var} holds something that looks like a key (not shown); set it to the service's \
             address without it (e.g. https://api.example.com/v1) and give the key through \
             the provider's credential variable or --api-key-file"
        )));
    }
    Ok(Some(u))
}

/// Refuses any configured provider's KEYCTL_<ID>_BASE_URL that holds something that looks like
/// a key (see [`env_base_url`]), before any command runs, as a config file's is refused when
/// it is loaded.
fn check_env_base_urls(env: &Env) -> Result<()> {
    crate::provider::configured()
        .into_iter()
        .try_for_each(|p| env_base_url(p, env).map(drop))
}

/// 500 ms, or KEYCTL_BACKOFF_MS (used by the test suite to keep retry tests fast).
fn backoff_base(env: &Env) -> Duration {
    // A test hook; capped at a minute (a huge value would make every retry wait forever).
    let ms = env.backoff_ms().map_or(500, |ms| ms.min(60_000));
    Duration::from_millis(ms)
}
