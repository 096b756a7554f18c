//! Runs a parsed command line: resolves flags and environment into settings (provider, base URL,
//! patch, credential), checks every request before anything is sent, then runs the keys with
//! bounded concurrency and reports each key's one status, also when a signal stops the run.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;

use crate::cli::{ChangeFlags, Cli, Command, GetArgs, GlobalArgs, ListArgs, UpdateArgs};
use crate::error::{Error, Result, Sent};
use crate::http::{Cancel, Http, WireOptions};
use crate::output::{self, KeyResult, Outcome, Printer};
use crate::patch::{Amount, Change, ChangeArgs, LimitArg, Patch, Relative, RelativeOutcome};
use crate::provider::{BaseUrl, KeyView, ProviderKind};
use crate::secret::{self, MAX_SECRET_FILE, ReadError, Secret};
use crate::session::Session;

/// The most bytes `--from-file` reads (a million 32-byte ids fit): more is a usage error.
pub const MAX_KEY_FILE: usize = 32 * 1024 * 1024;

/// After a first signal, how long requests in flight may take before they are dropped.
pub const GRACE: Duration = Duration::from_secs(10);

/// Runs the command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let Cli { global, command } = cli;
    output::set_quiet(global.quiet);
    let cancel = Cancel::default();
    let watcher = match &command {
        Command::Support => None,
        _ => Some(watch_signals(cancel.clone())),
    };
    let result = match command {
        Command::Update(args) => update(&global, args, &cancel).await,
        Command::Get(args) => get(&global, args, &cancel).await,
        Command::List(args) => list(&global, args, &cancel).await,
        Command::Support => {
            output::print_text(&crate::support::markdown());
            Ok(0)
        }
    };
    if let Some(w) = watcher {
        w.abort();
    }
    let code = match result {
        Ok(code) => code,
        Err(e @ Error::Interrupted { .. }) => {
            let by = cancel.signal().map_or("a signal", signal_name);
            output::error(&format!(
                "stopped by {by} before the command finished ({e})"
            ));
            e.exit_code()
        }
        Err(e) => {
            output::error(&e.to_string());
            e.exit_code()
        }
    };
    match cancel.signal() {
        Some(sig) => 128 + sig,
        None => code,
    }
}

/// The provider from -p / KEYCTL_PROVIDER.
fn provider(global: &GlobalArgs) -> Result<ProviderKind> {
    global.provider.ok_or_else(|| {
        Error::usage(
            "no provider given: pass -p/--provider (ionet, modelgates, novapai, venice) or set KEYCTL_PROVIDER",
        )
    })
}

/// --base-url, then KEYCTL_<ID>_BASE_URL, then the provider's documented default.
pub fn base_url(p: ProviderKind, flag: Option<&str>) -> Result<BaseUrl> {
    if let Some(u) = flag {
        return BaseUrl::parse(u);
    }
    match std::env::var(p.base_url_env()) {
        Ok(u) if !u.trim().is_empty() => BaseUrl::parse(&u)
            .map_err(|e| Error::usage(format!("{} (from {})", e, p.base_url_env()))),
        _ => BaseUrl::parse(p.default_base_url()),
    }
}

/// The admin credential from --api-key-file or the provider's variable, checked (see
/// `Secret::parse`) and registered for masking. `Ok(None)`: none is set. Never printed.
pub async fn credential(
    p: ProviderKind,
    file: Option<&Path>,
    cancel: &Cancel,
) -> Result<Option<Secret>> {
    let var = p.credential_env();
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
async fn read_input(
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

/// The credential, or the error that names what to set.
fn require(p: ProviderKind, s: Option<Secret>) -> Result<Secret> {
    s.ok_or_else(|| missing(p))
}

fn missing(p: ProviderKind) -> Error {
    Error::Credential(format!(
        "missing {p} admin credential: set {} or pass --api-key-file PATH (- for stdin)",
        p.credential_env()
    ))
}

fn change_args(f: ChangeFlags) -> ChangeArgs {
    let ChangeFlags {
        limit,
        reset,
        expires,
        models,
        name,
        disable,
        enable,
        include_byok_in_limit,
        limit_diem,
        limit_vcu,
    } = f;
    ChangeArgs {
        limit,
        reset,
        expires,
        models,
        name,
        disable,
        enable,
        include_byok_in_limit,
        limit_diem,
        limit_vcu,
    }
}

fn wire_options(g: &GlobalArgs) -> WireOptions {
    WireOptions {
        retries: g.retries,
        timeout: g.timeout,
        connect_timeout: g.connect_timeout,
        max_wait: g.max_wait,
        verbose: g.verbose,
        backoff_base: backoff_base(),
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

/// Keys in input order without repeats (linear time); one warning for all repeats.
fn unique_keys(keys: Vec<String>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::with_capacity(keys.len());
    let mut out = Vec::with_capacity(keys.len());
    let (mut repeats, mut example) = (0usize, None);
    for k in keys {
        if seen.contains(&k) {
            repeats += 1;
            example.get_or_insert(k);
        } else {
            seen.insert(k.clone());
            out.push(k);
        }
    }
    if let Some(k) = example {
        output::warn(&format!(
            "{repeats} key id(s) given more than once (e.g. {}); each key is updated once",
            output::sanitize(&k)
        ));
    }
    out
}

/// Builds every request before anything is sent: one bad key or flag stops the whole run. The
/// change is checked once on its own first (with a key id the provider accepts), so a bad value
/// is reported once and not as "N key ids are invalid".
fn check_all(p: ProviderKind, base: &BaseUrl, keys: &[String], patch: &Patch) -> Result<()> {
    p.build_update(base, crate::support::sample_key(p), patch)?;
    let mut bad = Vec::new();
    let mut n_bad = 0usize;
    for k in keys {
        match p.build_update(base, k, patch) {
            Ok(_) => {}
            Err(e @ Error::Unsupported { .. }) => return Err(e),
            Err(e) => {
                n_bad += 1;
                if bad.len() < 10 {
                    bad.push(e.to_string());
                }
            }
        }
    }
    match n_bad {
        0 => Ok(()),
        1 => Err(Error::usage(format!("{}; nothing was sent", bad[0]))),
        n => Err(Error::usage(format!(
            "{n} key ids are invalid, nothing was sent:\n  {}{}",
            bad.join("\n  "),
            if n > bad.len() {
                format!("\n  ... and {} more", n - bad.len())
            } else {
                String::new()
            }
        ))),
    }
}

/// Key ids from the command line, --from-file (bounded), or nothing (for --match).
async fn gather_keys(
    keys: Vec<String>,
    from_file: Option<&Path>,
    cancel: &Cancel,
) -> Result<Vec<String>> {
    let mut all = keys;
    if let Some(path) = from_file {
        let shown = path.display();
        let read = read_input(path, MAX_KEY_FILE, cancel).await?;
        let text = read.map_err(|e| {
            Error::usage(match e {
                ReadError::TooLarge => format!(
                    "--from-file {shown}: larger than {} MiB; split it into several runs",
                    MAX_KEY_FILE / 1024 / 1024
                ),
                ReadError::NotUtf8 => {
                    format!("--from-file {shown}: not UTF-8 text (one key id per line)")
                }
                ReadError::Io(e) => format!("--from-file {shown}: {e}"),
            })
        })?;
        all.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
        if all.is_empty() {
            return Err(Error::usage(format!(
                "--from-file {shown}: no key ids in it (one per line; # starts a comment)"
            )));
        }
    }
    Ok(unique_keys(all))
}

/// Everything a per-key task needs, shared by all tasks.
struct Plan {
    p: ProviderKind,
    base: BaseUrl,
    patch: Patch,
    relative: Option<Relative>,
    /// The adapter needs the key's current state to build this change (Venice currencies).
    merge: bool,
    dry_run: bool,
}

impl Plan {
    fn needs_read(&self) -> bool {
        self.relative.is_some() || self.merge
    }

    /// The patch for one key, given its current state (when read).
    fn resolve(&self, before: Option<&KeyView>) -> Result<Option<Patch>> {
        let mut patch = self.patch.clone();
        if let (Some(rel), Some(before)) = (&self.relative, before) {
            let current = before.limit_amount().ok_or_else(|| {
                Error::usage(format!(
                    "--limit {:+}: the key has no current limit to change; set one with --limit N",
                    rel.delta
                ))
            })?;
            match rel.apply(current)? {
                RelativeOutcome::Set(a) => patch.limit = Change::Set(a),
                RelativeOutcome::AtCap { .. } => return Ok(None),
            }
        }
        if let (true, Some(before)) = (self.merge, before) {
            self.p.merge_current(before, &mut patch)?;
        }
        Ok(Some(patch))
    }
}

async fn update(global: &GlobalArgs, args: UpdateArgs, cancel: &Cancel) -> Result<i32> {
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
    let p = provider(global)?;
    if from_file.as_deref() == Some(Path::new("-"))
        && global.api_key_file.as_deref() == Some(Path::new("-"))
    {
        return Err(Error::usage(
            "--from-file - and --api-key-file - both read standard input; give one of them a file",
        ));
    }
    // The credential first: it is registered for masking before any message can echo input.
    let secret = credential(p, global.api_key_file.as_deref(), cancel).await;
    let base = base_url(p, global.base_url.as_deref())?;
    let relative = match (&change.limit, limit_max) {
        (Some(LimitArg::Relative(d)), max) => Some(Relative { delta: *d, max }),
        (_, Some(_)) => {
            return Err(Error::usage(
                "--limit-max caps a relative change: use it with --limit +N or --limit -N",
            ));
        }
        _ => None,
    };
    let patch = Patch::from_args(change_args(change), Utc::now())?;
    let mut keys = gather_keys(keys, from_file.as_deref(), cancel).await?;
    // Check every flag and key id before anything is sent (placeholder for a relative limit).
    let mut probe = patch.clone();
    if relative.is_some() {
        probe.limit = Change::Set(Amount::zero());
    }
    check_all(p, &base, &keys, &probe)?;
    let plan = Plan {
        p,
        merge: p.needs_current(&patch, relative.is_some()),
        patch,
        relative,
        base,
        dry_run,
    };
    for w in p.warnings(&plan.patch) {
        output::warn(&w);
    }
    let needs_session = !dry_run || plan.needs_read() || match_glob.is_some();
    let secret = match secret {
        Ok(Some(s)) => Some(s),
        Ok(None) if !needs_session => {
            output::warn(&format!(
                "{} is not set (needed for a real run)",
                p.credential_env()
            ));
            None
        }
        Ok(None) if dry_run && plan.merge && plan.relative.is_none() && match_glob.is_none() => {
            output::warn(&format!(
                "{} is not set: cannot read the key's current limits, so the dry run shows only \
                 the currencies given; a real run reads them and sends the others unchanged",
                p.credential_env()
            ));
            None
        }
        Ok(None) => return Err(missing(p)),
        Err(e) => return Err(e),
    };
    // The client (and the certificate store) only when a request will really be sent.
    let session = match secret {
        Some(secret) if needs_session => {
            let http = Arc::new(Http::new(
                wire_options(global),
                cancel.clone(),
                plan.base.is_tls(),
            )?);
            Some(Arc::new(Session::new(p, plan.base.clone(), http, secret)))
        }
        _ => None,
    };
    if let Some(glob) = &match_glob {
        let Some(s) = &session else {
            return Err(Error::Internal("--match without a session".into()));
        };
        let matched = select(s, glob).await?;
        output::diag(&format!(
            "--match {}: selected {} key(s)",
            output::sanitize(glob),
            matched.len()
        ));
        keys.extend(matched);
        keys = unique_keys(keys);
        if !yes && !dry_run {
            return Err(Error::usage(format!(
                "--match selected {} key(s); nothing was changed: add --yes to update them, or --dry-run to preview",
                keys.len()
            )));
        }
        check_all(p, &plan.base, &keys, &probe)?;
    }
    let mut printer = Printer::new(global.output);
    let runner = Runner {
        plan: Arc::new(plan),
        session,
        cancel: cancel.clone(),
        max_failures: max_failures as usize,
    };
    let tally = runner.run(keys, concurrency.into(), &mut printer).await;
    printer.finish();
    Ok(tally.report(p, if dry_run { "would update" } else { "updated" }, cancel))
}

/// Keys whose name matches `glob`, from every page of the list.
async fn select(s: &Session, glob: &str) -> Result<Vec<String>> {
    let m = globset::Glob::new(glob)
        .map_err(|e| Error::usage(format!("--match: bad glob: {e}")))?
        .compile_matcher();
    Ok(s.list(true)
        .await?
        .into_iter()
        .filter(|k| k.name.as_deref().is_some_and(|n| m.is_match(n)))
        .filter_map(|k| k.id)
        .collect())
}

/// Runs keys with bounded concurrency and stops starting new ones after a signal or too many
/// failures.
struct Runner {
    plan: Arc<Plan>,
    session: Option<Arc<Session>>,
    cancel: Cancel,
    /// Stop starting keys after this many failed or unknown ones (0: never).
    max_failures: usize,
}

/// How many keys ended in each status, and the exit code of the first failed one.
#[derive(Debug, Default)]
struct Tally {
    /// Updated, dry run (would update) or read, by the command.
    done: usize,
    unchanged: usize,
    failed: usize,
    unknown: usize,
    not_attempted: usize,
    first_code: Option<i32>,
    /// `--max-failures` stopped new keys from starting (and some were left).
    halted: bool,
    max_failures: usize,
    total: usize,
}

impl Runner {
    /// Results are printed in input order; at most a window of tasks exists at once (so 100,000
    /// keys cost a window, not 100,000 tasks), and at most `concurrency` of them send.
    async fn run(self, keys: Vec<String>, concurrency: usize, printer: &mut Printer) -> Tally {
        let concurrency = concurrency.max(1);
        let window = (concurrency * 8).max(64);
        let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let failures = Arc::new(AtomicUsize::new(0));
        let halt = Arc::new(AtomicBool::new(false));
        let bar = output::progress(keys.len());
        let mut tally = Tally {
            total: keys.len(),
            max_failures: self.max_failures,
            ..Tally::default()
        };
        let mut pending = std::collections::VecDeque::with_capacity(window);
        let mut next = keys.into_iter();
        loop {
            while pending.len() < window {
                let Some(key) = next.next() else { break };
                let task = self.task(key.clone(), sem.clone(), failures.clone(), halt.clone());
                pending.push_back((key, tokio::spawn(task)));
            }
            let Some((key, h)) = pending.pop_front() else {
                break;
            };
            let outcome = h
                .await
                .unwrap_or_else(|e| Outcome::Failed(Error::Internal(format!("task failed: {e}"))));
            if let Some(b) = &bar {
                b.inc(1);
            }
            tally.count(&outcome);
            printer.push(KeyResult {
                provider: self.plan.p,
                key,
                outcome,
            });
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        tally.halted = halt.load(Ordering::SeqCst) && tally.not_attempted > 0;
        tally
    }

    fn task(
        &self,
        key: String,
        sem: Arc<tokio::sync::Semaphore>,
        failures: Arc<AtomicUsize>,
        halt: Arc<AtomicBool>,
    ) -> impl std::future::Future<Output = Outcome> + Send + 'static {
        let (plan, session, cancel) =
            (self.plan.clone(), self.session.clone(), self.cancel.clone());
        let max_failures = self.max_failures;
        async move {
            let permit = tokio::select! {
                p = sem.acquire_owned() => p,
                _ = cancel.cancelled() => return Outcome::NotAttempted,
            };
            let Ok(_permit) = permit else {
                return Outcome::Failed(Error::Internal("semaphore closed".into()));
            };
            if cancel.is_cancelled() || halt.load(Ordering::SeqCst) {
                return Outcome::NotAttempted;
            }
            let outcome = one_key(&plan, session.as_deref(), &key).await;
            if matches!(outcome, Outcome::Failed(_) | Outcome::Unknown(_)) {
                let n = failures.fetch_add(1, Ordering::SeqCst) + 1;
                if max_failures > 0 && n >= max_failures {
                    halt.store(true, Ordering::SeqCst);
                }
            }
            outcome
        }
    }
}

impl Tally {
    fn count(&mut self, o: &Outcome) {
        match o {
            Outcome::Updated { .. } | Outcome::DryRun { .. } | Outcome::Shown(_) => self.done += 1,
            Outcome::Unchanged { .. } => self.unchanged += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Unknown(_) => self.unknown += 1,
            Outcome::NotAttempted => self.not_attempted += 1,
        }
        if let (None, Some(e)) = (self.first_code, o.error()) {
            self.first_code = Some(e.exit_code());
        }
    }

    /// Prints the summary (several keys, a signal or a halt) and returns the exit code: that of
    /// the first failed key in input order, 0 if none (a signal overrides it in `run`).
    /// `verb` names what happened to the keys that went well ("updated", "would update", "read").
    fn report(&self, p: ProviderKind, verb: &str, cancel: &Cancel) -> i32 {
        let stopped = cancel.signal().is_some() || self.halted;
        if self.total > 1 || stopped {
            let mut line = format!("summary: {} {verb}", self.done);
            if self.unchanged > 0 || verb != "read" {
                line.push_str(&format!(", {} unchanged", self.unchanged));
            }
            line.push_str(&format!(", {} failed", self.failed));
            if self.unknown > 0 {
                line.push_str(&format!(
                    ", {} unknown (may have been applied: check with keyctl get)",
                    self.unknown
                ));
            }
            if self.not_attempted > 0 {
                line.push_str(&format!(", {} not attempted", self.not_attempted));
            }
            if let Some(sig) = cancel.signal() {
                line = format!("{p}: stopped by {}; {line}", signal_name(sig));
            } else if self.halted {
                line = format!(
                    "{p}: stopped starting keys once --max-failures {} was reached; {line}",
                    self.max_failures
                );
            }
            if self.not_attempted > 0 {
                line.push_str(" (-o json lists every key with its status, for a rerun)");
            }
            if stopped {
                output::error(&line);
            } else {
                output::diag(&line);
            }
        }
        self.first_code.unwrap_or(0)
    }
}

/// Maps an error of a key's run onto its status: a signal before anything was sent is
/// `not_attempted`; a write that reached the wire unanswered is `unknown`.
fn outcome_of(e: Error) -> Outcome {
    match e {
        Error::Interrupted {
            sent: Sent::Nothing,
        } => Outcome::NotAttempted,
        e @ Error::Unknown { .. } => Outcome::Unknown(e),
        e => Outcome::Failed(e),
    }
}

/// Reads (when needed), builds and sends (unless dry run) the change for one key.
async fn one_key(plan: &Plan, session: Option<&Session>, key: &str) -> Outcome {
    let before = match (plan.needs_read(), session) {
        (true, Some(s)) => match s.get(key).await {
            Ok(v) => Some(v),
            // A read changes nothing: an interrupted read is `not_attempted`.
            Err(Error::Interrupted { .. }) => return Outcome::NotAttempted,
            Err(e) => return Outcome::Failed(e),
        },
        _ => None,
    };
    let patch = match plan.resolve(before.as_ref()) {
        Ok(Some(p)) => p,
        Ok(None) => {
            let cap = plan.relative.as_ref().and_then(|r| r.max.clone());
            return Outcome::Unchanged {
                before: before.map(Box::new),
                reason: format!(
                    "already at or over the cap --limit-max {}; nothing sent",
                    cap.map(|c| c.to_string()).unwrap_or_default()
                ),
            };
        }
        Err(e) => return Outcome::Failed(e),
    };
    let req = match plan.p.build_update(&plan.base, key, &patch) {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(e),
    };
    if plan.dry_run {
        return Outcome::DryRun {
            req,
            before: before.map(Box::new),
        };
    }
    let Some(s) = session else {
        return Outcome::Failed(Error::Internal("no session for a real run".into()));
    };
    let body = match s.send(&req).await {
        Ok(b) => b,
        Err(e) => return outcome_of(e),
    };
    let sent = req.body.clone().unwrap_or_default();
    match plan.p.parse_update(key, &sent, &body) {
        Ok(view) => Outcome::Updated {
            view: Box::new(view),
            before: before.map(Box::new),
        },
        // A 2xx answer keyctl cannot read: the change was most likely applied.
        Err(e) => Outcome::Unknown(Error::Unknown { cause: Box::new(e) }),
    }
}

/// `keyctl get`: each key's normalized view.
async fn get(global: &GlobalArgs, args: GetArgs, cancel: &Cancel) -> Result<i32> {
    let GetArgs { keys } = args;
    let (p, s) = session(global, cancel).await?;
    let keys = unique_keys(keys);
    for k in &keys {
        p.build_get(&s.base, k)?;
    }
    let mut printer = Printer::new(global.output);
    let mut tally = Tally {
        total: keys.len(),
        ..Tally::default()
    };
    for key in keys {
        let outcome = if cancel.is_cancelled() {
            Outcome::NotAttempted
        } else {
            match s.get(&key).await {
                Ok(v) => Outcome::Shown(Box::new(v)),
                Err(Error::Interrupted { .. }) => Outcome::NotAttempted,
                Err(e) => Outcome::Failed(e),
            }
        };
        tally.count(&outcome);
        printer.push(KeyResult {
            provider: p,
            key,
            outcome,
        });
    }
    printer.finish();
    if cancel.signal().is_some() {
        tally.report(p, "read", cancel);
    }
    Ok(tally.first_code.unwrap_or(0))
}

/// `keyctl list`: every key of the account.
async fn list(global: &GlobalArgs, args: ListArgs, cancel: &Cancel) -> Result<i32> {
    let ListArgs { include_disabled } = args;
    let (p, s) = session(global, cancel).await?;
    let keys = s.list(include_disabled).await?;
    let mut printer = Printer::new(global.output);
    for v in keys {
        printer.push(KeyResult {
            provider: p,
            key: v.id.clone().unwrap_or_default(),
            outcome: Outcome::Shown(Box::new(v)),
        });
    }
    printer.finish();
    Ok(0)
}

/// Provider, base URL, credential and client for a command that reads.
async fn session(global: &GlobalArgs, cancel: &Cancel) -> Result<(ProviderKind, Session)> {
    let p = provider(global)?;
    let secret = credential(p, global.api_key_file.as_deref(), cancel).await;
    let base = base_url(p, global.base_url.as_deref())?;
    let secret = require(p, secret?)?;
    let http = Arc::new(Http::new(
        wire_options(global),
        cancel.clone(),
        base.is_tls(),
    )?);
    Ok((p, Session::new(p, base, http, secret)))
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
