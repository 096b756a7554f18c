//! The settings step: flags and environment resolved into one plain struct per command before
//! anything runs (as uv does). `GlobalArgs` and `UpdateArgs` are destructured without `..`, so a
//! new flag cannot be forgotten here; commands see only what this module resolved.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::{GlobalArgs, UpdateArgs};
use crate::config::{Config, Profile, Source};
use crate::error::{Error, Result, Sent};
use crate::http::{Cancel, WireOptions};
use crate::output::{self, Format, View};
use crate::patch::{LimitArg, Patch, Relative};
use crate::provider::{BaseUrl, ProviderKind};
use crate::secret::{self, MAX_SECRET_FILE, ReadError, Secret};

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

/// Where a choice came from (for the precedence rules between `-P` and `-p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    File,
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
                crate::config::shown(name),
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

impl Global {
    pub fn from_args(g: GlobalArgs, config: Config) -> Result<Global> {
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
        check_env_base_urls()?;
        note_profiles(&config);
        let provider = match (provider, crate::env::get().provider()) {
            (Some(p), _) => Some((p, Origin::Flag)),
            (None, Some(v)) => Some((v, Origin::Env)),
            (None, None) => None,
        };
        let profile_flag = profile.clone();
        let audit = crate::audit::enabled(config.audit)
            .map(|on| on.then(crate::audit::default_path).flatten());
        let chosen = choose_profile(&config, profile, provider.as_ref())?;
        let prof = chosen.map(|i| &config.profiles[i]);
        let output_from_profile = output.is_none()
            && crate::env::get().output().is_none()
            && prof.is_some_and(|p| p.output.is_some());
        let output = match (output, crate::env::get().output()) {
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
        let columns = columns.as_deref().map(parse_columns).transpose()?;
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
                backoff_base: backoff_base(),
            },
            config,
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
        let source = self.source(p, profile);
        let credential = credential(p, self.api_key_file.as_deref(), &source, cancel).await;
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
        let from_env = crate::env::get().base_url(&p.base_url_env()).is_some();
        match (
            self.base_url.as_deref(),
            profile.and_then(|pr| pr.base_url.as_deref()),
        ) {
            (None, Some(from_profile)) if !from_env => BaseUrl::parse(from_profile),
            (flag, _) => base_url(p, flag),
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
) -> Result<Option<usize>> {
    let (name, origin) = match (flag, crate::env::get().profile(), &config.default_profile) {
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

/// Where requests go and with what credential.
pub struct Target {
    pub p: ProviderKind,
    pub base: BaseUrl,
    /// `Ok(None)`: no source is set.
    pub credential: Result<Option<Secret>>,
    /// Where the credential was looked for.
    pub source: Source,
    /// The profile this target is for.
    pub profile: Option<String>,
    /// The credential comes from --api-key-file (whatever the profile says).
    pub from_flag: bool,
}

impl Target {
    /// The options that name this account again in a command to run by hand: `-P NAME` for a
    /// profile, else `-p ID`, with `--base-url URL` when it is not the provider's own and
    /// `--api-key-file PATH` when the credential came from one, so a pasted next step goes to
    /// the same account.
    pub fn selector(&self, global: &Global) -> String {
        let mut s = match &self.profile {
            Some(name) => format!("-P {}", crate::text::sanitize(name)),
            None => format!("-p {}", self.p.info().id),
        };
        let own = BaseUrl::parse(self.p.info().base_url)
            .map(|b| b.shown())
            .unwrap_or_default();
        if self.profile.is_none() && self.base.shown() != own {
            s.push_str(&format!(" --base-url {}", self.base.shown()));
        }
        // A workspace the profile does not give (a checked UUID: nothing to quote).
        if let Some(ws) = self.base.workspace()
            && (self.profile.is_none() || global.workspace.is_some())
        {
            s.push_str(&format!(" --workspace {ws}"));
        }
        if let (true, Some(f)) = (self.from_flag, &global.api_key_file) {
            s.push_str(&format!(
                " --api-key-file {}",
                crate::text::sanitize(&f.display().to_string())
            ));
        }
        s
    }

    /// The credential, or the error that names what to set.
    pub fn require(self) -> Result<(ProviderKind, BaseUrl, Secret)> {
        match self.credential? {
            Some(s) => Ok((self.p, self.base, s)),
            None => Err(missing(self.p, &self.source, self.profile.as_deref())),
        }
    }
}

impl Target {
    /// Where the credential comes from, for a refusal's hint, when it is not the provider's
    /// own variable: `profile 'x' (credential_command `op read …`)`.
    pub fn hint(&self) -> Option<String> {
        let own = matches!(&self.source, Source::Env(v) if v == self.p.info().credential_env);
        if self.from_flag {
            return Some(format!("{} (--api-key-file)", self.source));
        }
        match (&self.profile, own) {
            (None, true) => None,
            (None, false) => Some(format!("the credential in {}", self.source)),
            (Some(name), _) => Some(format!(
                "the credential of profile '{name}' ({})",
                self.source
            )),
        }
    }
}

/// The error for a missing credential: which variable to set.
pub fn missing(p: ProviderKind, source: &Source, profile: Option<&str>) -> Error {
    let var = match source {
        Source::Env(v) => v.as_str(),
        _ => p.info().credential_env,
    };
    match profile {
        Some(name) => Error::Credential(format!(
            "missing {p} admin credential: {var} (credential_env of profile '{name}') is not set; \
             set it, or change the profile's credential source"
        )),
        None => Error::Credential(format!(
            "missing {p} admin credential: set {var} or pass --api-key-file PATH (- for stdin){}",
            try_profiles(p)
        )),
    }
}

/// The config file's profiles (name, provider) and where the file is, for [`missing`]'s hint.
static PROFILES: std::sync::OnceLock<(Vec<(String, ProviderKind)>, String)> =
    std::sync::OnceLock::new();

/// Remembers the config file's profiles for [`missing`] (once a process).
fn note_profiles(config: &Config) {
    let list = config
        .profiles
        .iter()
        .map(|pr| (pr.name.clone(), pr.provider.kind()))
        .collect();
    let _ = PROFILES.set((list, config.describe()));
}

/// `; or try -P NAME (a profile for P in FILE)` when the config file has profiles for `p` (up
/// to 3 named, the rest counted), else nothing.
fn try_profiles(p: ProviderKind) -> String {
    let Some((all, file)) = PROFILES.get() else {
        return String::new();
    };
    let names: Vec<String> = all
        .iter()
        .filter(|(_, k)| *k == p)
        .map(|(n, _)| format!("-P {}", crate::text::sanitize(n)))
        .collect();
    let shown = match names.len() {
        0 => return String::new(),
        1 => names[0].clone(),
        2 | 3 => format!(
            "{} or {}",
            names[..names.len() - 1].join(", "),
            names[names.len() - 1]
        ),
        n => format!(
            "{} or one of {} more (`keyctl providers` lists them)",
            names[..3].join(", "),
            n - 3
        ),
    };
    let what = if names.len() == 1 {
        "a profile"
    } else {
        "profiles"
    };
    format!("; or try {shown} ({what} for {p} in {file})")
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
            keys,
            from_file,
            match_glob,
            yes,
            concurrency,
            max_failures,
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
            patch: Patch::from_args(change, now)?,
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
    if let Some(u) = flag {
        return BaseUrl::parse(u);
    }
    match env_base_url(p)? {
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
fn env_base_url(p: ProviderKind) -> Result<Option<String>> {
    let var = p.base_url_env();
    let Some(u) = crate::env::get().base_url(&var).map(str::to_string) else {
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
fn check_env_base_urls() -> Result<()> {
    crate::provider::configured()
        .into_iter()
        .try_for_each(|p| env_base_url(p).map(drop))
}

/// The admin credential from --api-key-file or the source (a variable, a file, a command),
/// checked (see `Secret::parse`) and registered for masking. `Ok(None)`: a variable that is not
/// set. Never printed.
pub async fn credential(
    p: ProviderKind,
    file: Option<&Path>,
    source: &Source,
    cancel: &Cancel,
) -> Result<Option<Secret>> {
    // The provider's variable is masked even when another source wins (it may be pasted as a
    // path or an argument).
    let own = p.info().credential_env;
    if !own.is_empty()
        && let Ok(v) = std::env::var(own)
        && let Ok(Some(s)) = Secret::parse(&v, own)
    {
        secret::register(&s);
    }
    let found = match (file, source) {
        // `--api-key-file` may be a pipe (`<(pass show x)`, `-`); a config's credential_file
        // must be a regular file (a FIFO there would block every run that reads it).
        (Some(path), _) => from_file(p, path, "--api-key-file", false, cancel)
            .await
            .map(Some),
        (None, Source::Env(var)) => from_env(p, var),
        (None, Source::File(path)) => from_file(p, path, "credential_file", true, cancel)
            .await
            .map(Some),
        (None, Source::Command(argv)) => from_command(argv, cancel).await.map(Some),
    };
    if let Ok(Some(s)) = &found {
        secret::register(s);
    }
    found
}

fn from_env(p: ProviderKind, var: &str) -> Result<Option<Secret>> {
    match std::env::var(var) {
        Ok(v) => Secret::parse(&v, var),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::Credential(format!(
            "{var} is not valid UTF-8; set it to the {p} admin key"
        ))),
        Err(std::env::VarError::NotPresent) => Ok(None),
    }
}

/// The key in a file (`-`: standard input); `what` is the flag or config key that named it;
/// `regular`: only a regular file (or a link to one) is read, anything else refused at once.
async fn from_file(
    p: ProviderKind,
    path: &Path,
    what: &str,
    regular: bool,
    cancel: &Cancel,
) -> Result<Secret> {
    let source = if path == Path::new("-") {
        format!("standard input ({what} -)")
    } else {
        format!("the file {} ({what})", path.display())
    };
    let read = read_on_thread(path, MAX_SECRET_FILE, regular, cancel).await?;
    let text = read.map_err(|e| {
        Error::Credential(match e {
            ReadError::TooLarge => format!(
                "{source} is larger than {} KiB; it must hold only the admin key",
                MAX_SECRET_FILE / 1024
            ),
            ReadError::NotUtf8 => {
                format!("{source} is not UTF-8 text; it must hold only the admin key")
            }
            ReadError::Io(e) => format!("cannot read {source}: {e}"),
        })
    })?;
    Secret::parse(&text, &source)?
        .ok_or_else(|| Error::Credential(format!("{source} is empty; put the {p} admin key in it")))
}

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
async fn from_command(argv: &[String], cancel: &Cancel) -> Result<Secret> {
    use std::process::Stdio;
    let shown = crate::text::truncate(&argv.join(" "), 80);
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
    let grouped = !interactive();
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
            crate::text::truncate(prog, 60)
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
        _ = cancel.cancelled() => {
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
        secret::register(&s);
    }
    let stderr_text = tail(&err_buf);
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
fn tail(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(b);
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            if crate::config::looks_like_key(w) {
                "****".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let one = crate::text::server_text(&words.join(" "));
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

/// Reads a file, or standard input for `-`, up to `max` bytes, on a blocking thread so that a
/// signal still stops the run while it waits (e.g. on a pipe that never closes).
pub async fn read_input(
    path: &Path,
    max: usize,
    cancel: &Cancel,
) -> Result<std::result::Result<String, ReadError>> {
    read_on_thread(path, max, false, cancel).await
}

/// [`read_input`]; `regular`: the path must be a regular file (`config::open_regular`: no
/// FIFO, device or folder, and no wait to find out), and `-` is not standard input.
async fn read_on_thread(
    path: &Path,
    max: usize,
    regular: bool,
    cancel: &Cancel,
) -> Result<std::result::Result<String, ReadError>> {
    let path = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        if regular {
            crate::config::open_regular(&path)
                .map_err(ReadError::Io)
                .and_then(|f| secret::read_bounded(f, max))
        } else if path == Path::new("-") {
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
    // A test hook; capped at a minute (a huge value would make every retry wait forever).
    let ms = crate::env::get()
        .backoff_ms()
        .map_or(500, |ms| ms.min(60_000));
    Duration::from_millis(ms)
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
