//! Runs a parsed command line: resolves flags and environment into settings (provider, base URL,
//! patch, credential), builds every request first, then sends them concurrently and reports.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use chrono::Utc;

use crate::cli::{ChangeFlags, Cli, Command, GetArgs, GlobalArgs, ListArgs, UpdateArgs};
use crate::error::{Error, Result};
use crate::http::{Cancel, Http, WireOptions};
use crate::output::{self, KeyResult, Outcome, Printer};
use crate::patch::{Amount, Change, ChangeArgs, LimitArg, Patch, Relative, RelativeOutcome};
use crate::provider::{BaseUrl, KeyView, ProviderKind, Request};
use crate::session::Session;
use serde_json::Value;

/// Runs the command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let Cli { global, command } = cli;
    output::set_quiet(global.quiet);
    let result = match command {
        Command::Update(args) => update(&global, args).await,
        Command::Get(args) => get(&global, args).await,
        Command::List(args) => list(&global, args).await,
        Command::Support => {
            output::print_text(&crate::support::markdown());
            Ok(0)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            output::error(&e.to_string());
            e.exit_code()
        }
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

/// The admin credential from --api-key-file or the provider's variable. Never printed.
pub fn credential(p: ProviderKind, file: Option<&Path>) -> Result<String> {
    let var = p.credential_env();
    let raw = match file {
        Some(path) if path == Path::new("-") => {
            let mut s = String::new();
            std::io::stdin()
                .take(64 * 1024)
                .read_to_string(&mut s)
                .map_err(|e| {
                    Error::Credential(format!(
                        "cannot read the credential from standard input: {e}"
                    ))
                })?;
            s
        }
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Error::Credential(format!(
                "cannot read the credential file {}: {e}; check --api-key-file",
                path.display()
            ))
        })?,
        None => match std::env::var(var) {
            Ok(v) => v,
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::Credential(format!(
                    "{var} is not valid UTF-8; set it to the {p} admin key"
                )));
            }
            Err(std::env::VarError::NotPresent) => String::new(),
        },
    };
    let secret = raw.trim_end_matches(['\n', '\r']).to_string();
    if secret.trim().is_empty() {
        return Err(Error::Credential(match file {
            Some(path) => format!(
                "the credential file {} (--api-key-file) is empty; put the {p} admin key in it",
                path.display()
            ),
            None => format!(
                "missing {p} admin credential: set {var} or pass --api-key-file PATH (- for stdin)"
            ),
        }));
    }
    Ok(secret)
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
fn backoff_base() -> std::time::Duration {
    let ms = std::env::var("KEYCTL_BACKOFF_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(500);
    std::time::Duration::from_millis(ms)
}

/// Keys in input order without repeats.
fn unique_keys(keys: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for k in keys {
        if out.contains(&k) {
            output::warn(&format!(
                "key {} is given more than once; updating it once",
                output::sanitize(&k)
            ));
        } else {
            out.push(k);
        }
    }
    out
}

/// Builds every request before anything is sent: one bad key or flag stops the whole run.
fn build_all(
    p: ProviderKind,
    base: &BaseUrl,
    keys: &[String],
    patch: &Patch,
) -> Result<Vec<Request>> {
    let mut reqs = Vec::with_capacity(keys.len());
    let mut bad = Vec::new();
    for k in keys {
        match p.build_update(base, k, patch) {
            Ok(r) => reqs.push(r),
            Err(e @ Error::Unsupported { .. }) => return Err(e),
            Err(e) => bad.push(e.to_string()),
        }
    }
    match bad.len() {
        0 => Ok(reqs),
        1 => Err(Error::usage(format!("{}; nothing was sent", bad[0]))),
        n => Err(Error::usage(format!(
            "{n} key ids are invalid, nothing was sent:\n  {}",
            bad.join("\n  ")
        ))),
    }
}

/// Key ids from the command line, --from-file, or nothing (for --match).
fn gather_keys(keys: Vec<String>, from_file: Option<&Path>) -> Result<Vec<String>> {
    let mut all = keys;
    if let Some(path) = from_file {
        let text = if path == Path::new("-") {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| {
                Error::usage(format!("--from-file -: cannot read standard input: {e}"))
            })?;
            s
        } else {
            std::fs::read_to_string(path)
                .map_err(|e| Error::usage(format!("--from-file {}: {e}", path.display())))?
        };
        all.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
        if all.is_empty() {
            return Err(Error::usage(format!(
                "--from-file {}: no key ids in it (one per line; # starts a comment)",
                path.display()
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
    /// Venice: fill the currencies this change leaves out from the key's current limits.
    keep_currencies: bool,
    dry_run: bool,
}

impl Plan {
    fn needs_read(&self) -> bool {
        self.relative.is_some() || self.keep_currencies
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
        if let (true, Some(before)) = (self.keep_currencies, before) {
            let cur = crate::provider::venice::current_limits(before);
            let get = |k: &str| {
                cur.get(k)
                    .and_then(Value::as_f64)
                    .and_then(Amount::from_f64)
            };
            if patch.limit.is_keep()
                && let Some(a) = get("usd")
            {
                patch.limit = Change::Set(a);
            }
            if patch.limit_diem.is_none() {
                patch.limit_diem = get("diem");
            }
            if patch.limit_vcu.is_none() {
                patch.limit_vcu = get("vcu");
            }
        }
        Ok(Some(patch))
    }
}

/// Venice replaces `consumptionLimit` as a whole only in part: a change of some currencies
/// reads the key first so the others are sent unchanged.
fn partial_currencies(p: ProviderKind, patch: &Patch, relative: bool) -> bool {
    if p != ProviderKind::Venice {
        return false;
    }
    let set = [
        !patch.limit.is_keep() || relative,
        patch.limit_diem.is_some(),
        patch.limit_vcu.is_some(),
    ];
    let n = set.iter().filter(|b| **b).count();
    n > 0 && n < 3
}

async fn update(global: &GlobalArgs, args: UpdateArgs) -> Result<i32> {
    let UpdateArgs {
        keys,
        from_file,
        match_glob,
        yes,
        concurrency,
        limit_max,
        change,
        dry_run,
    } = args;
    let p = provider(global)?;
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
    let mut keys = gather_keys(keys, from_file.as_deref())?;
    // Check every flag and key id before anything is sent (placeholder for a relative limit).
    let mut probe = patch.clone();
    if relative.is_some() {
        probe.limit = Change::Set(Amount::zero());
    }
    build_all(p, &base, &keys, &probe)?;
    let plan = Plan {
        p,
        keep_currencies: partial_currencies(p, &patch, relative.is_some()),
        patch,
        relative,
        base,
        dry_run,
    };
    for w in p.warnings(&plan.patch) {
        output::warn(&w);
    }
    let needs_session = !dry_run || plan.needs_read() || match_glob.is_some();
    let secret = match credential(p, global.api_key_file.as_deref()) {
        Ok(s) => Some(s),
        Err(e) if !needs_session => {
            output::warn(&format!("{e} (needed for a real run)"));
            None
        }
        Err(e)
            if dry_run
                && plan.keep_currencies
                && plan.relative.is_none()
                && match_glob.is_none() =>
        {
            output::warn(&format!(
                "{e}: cannot read the key's current limits, so the dry run shows only the \
                 currencies given; a real run reads them and sends the others unchanged"
            ));
            None
        }
        Err(e) => return Err(e),
    };
    let cancel = Cancel::default();
    let session = match secret {
        Some(secret) => {
            output::register_secret(&secret);
            let http = Arc::new(Http::new(wire_options(global), cancel.clone())?);
            Some(Arc::new(Session::new(p, plan.base.clone(), http, secret)))
        }
        None => None,
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
        build_all(p, &plan.base, &keys, &probe)?;
    }
    let mut printer = Printer::new(global.output);
    let watcher = tokio::spawn(watch_ctrl_c(cancel.clone()));
    let results = run_keys(
        Arc::new(plan),
        session,
        keys,
        concurrency.into(),
        &mut printer,
    )
    .await;
    watcher.abort();
    printer.finish();
    Ok(report(p, &results, cancel.is_cancelled()))
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

/// Runs each key with at most `concurrency` in flight; prints results in input order.
async fn run_keys(
    plan: Arc<Plan>,
    session: Option<Arc<Session>>,
    keys: Vec<String>,
    concurrency: usize,
    printer: &mut Printer,
) -> Vec<(String, Option<Error>)> {
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut handles = Vec::with_capacity(keys.len());
    for key in keys.clone() {
        let (sem, plan, session) = (sem.clone(), plan.clone(), session.clone());
        handles.push(tokio::spawn(async move {
            let Ok(_permit) = sem.acquire_owned().await else {
                return Outcome::Failed(Error::Internal("semaphore closed".into()));
            };
            one_key(&plan, session.as_deref(), &key)
                .await
                .unwrap_or_else(Outcome::Failed)
        }));
    }
    let (mut updated, mut unchanged, mut failed) = (0, 0, 0);
    let mut results = Vec::with_capacity(keys.len());
    let bar = output::progress(keys.len());
    for (key, h) in keys.into_iter().zip(handles) {
        let outcome = h
            .await
            .unwrap_or_else(|e| Outcome::Failed(Error::Internal(format!("task failed: {e}"))));
        if let Some(b) = &bar {
            b.inc(1);
        }
        let err = match &outcome {
            Outcome::Failed(e) => {
                failed += 1;
                Some(e.clone())
            }
            Outcome::Unchanged { .. } => {
                unchanged += 1;
                None
            }
            _ => {
                updated += 1;
                None
            }
        };
        printer.push(KeyResult {
            provider: plan.p,
            key: key.clone(),
            outcome,
        });
        results.push((key, err));
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if results.len() > 1 {
        let verb = if plan.dry_run {
            "would update"
        } else {
            "updated"
        };
        output::diag(&format!(
            "summary: {updated} {verb}, {unchanged} unchanged, {failed} failed"
        ));
    }
    results
}

/// Reads (when needed), builds and sends (unless dry run) the change for one key.
async fn one_key(plan: &Plan, session: Option<&Session>, key: &str) -> Result<Outcome> {
    let before = match (plan.needs_read(), session) {
        (true, Some(s)) => Some(s.get(key).await?),
        _ => None,
    };
    let Some(patch) = plan.resolve(before.as_ref())? else {
        let cap = plan.relative.as_ref().and_then(|r| r.max.clone());
        return Ok(Outcome::Unchanged {
            before: before.map(Box::new),
            reason: format!(
                "already at or over the cap --limit-max {}; nothing sent",
                cap.map(|c| c.to_string()).unwrap_or_default()
            ),
        });
    };
    let req = plan.p.build_update(&plan.base, key, &patch)?;
    if plan.dry_run {
        return Ok(Outcome::DryRun {
            req,
            before: before.map(Box::new),
        });
    }
    let Some(s) = session else {
        return Err(Error::Internal("no session for a real run".into()));
    };
    let body = s.send(&req).await?;
    let sent = req.body.clone().unwrap_or_default();
    let view = plan.p.parse_update(key, &sent, &body)?;
    Ok(Outcome::Updated {
        view: Box::new(view),
        before: before.map(Box::new),
    })
}

/// `keyctl get`: each key's normalized view.
async fn get(global: &GlobalArgs, args: GetArgs) -> Result<i32> {
    let GetArgs { keys } = args;
    let (p, s, cancel) = session(global)?;
    let keys = unique_keys(keys);
    for k in &keys {
        p.build_get(&s.base, k)?;
    }
    let mut printer = Printer::new(global.output);
    let mut results = Vec::new();
    for key in keys {
        if cancel.is_cancelled() {
            break;
        }
        let outcome = match s.get(&key).await {
            Ok(v) => Outcome::Shown(Box::new(v)),
            Err(e) => Outcome::Failed(e),
        };
        let err = match &outcome {
            Outcome::Failed(e) => Some(e.clone()),
            _ => None,
        };
        printer.push(KeyResult {
            provider: p,
            key: key.clone(),
            outcome,
        });
        results.push((key, err));
    }
    printer.finish();
    Ok(report(p, &results, cancel.is_cancelled()))
}

/// `keyctl list`: every key of the account.
async fn list(global: &GlobalArgs, args: ListArgs) -> Result<i32> {
    let ListArgs { include_disabled } = args;
    let (p, s, _) = session(global)?;
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
fn session(global: &GlobalArgs) -> Result<(ProviderKind, Session, Cancel)> {
    let p = provider(global)?;
    let base = base_url(p, global.base_url.as_deref())?;
    let secret = credential(p, global.api_key_file.as_deref())?;
    output::register_secret(&secret);
    let cancel = Cancel::default();
    let http = Arc::new(Http::new(wire_options(global), cancel.clone())?);
    Ok((p, Session::new(p, base, http, secret), cancel))
}

/// First Ctrl-C: no new request starts, in-flight ones finish. Second: quit now.
async fn watch_ctrl_c(cancel: Cancel) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    cancel.cancel();
    output::warn(
        "interrupted: no new requests will start; waiting for those in flight (Ctrl-C again to quit now)",
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        output::error(
            "interrupted again: quitting; keys in flight may or may not have been updated",
        );
        std::process::exit(130);
    }
}

/// The exit code (first failed key in input order) and, after Ctrl-C, which keys changed.
fn report(p: ProviderKind, results: &[(String, Option<Error>)], interrupted: bool) -> i32 {
    if interrupted {
        let done: Vec<&str> = results
            .iter()
            .filter(|(_, e)| e.is_none())
            .map(|(k, _)| k.as_str())
            .collect();
        let not: Vec<&str> = results
            .iter()
            .filter(|(_, e)| e.is_some())
            .map(|(k, _)| k.as_str())
            .collect();
        output::error(&format!(
            "interrupted: {p}: updated {} key(s) [{}]; not updated {} key(s) [{}]",
            done.len(),
            done.join(", "),
            not.len(),
            not.join(", ")
        ));
        return 130;
    }
    results
        .iter()
        .find_map(|(_, e)| e.as_ref().map(Error::exit_code))
        .unwrap_or(0)
}
