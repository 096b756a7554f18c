//! Runs a parsed command line: resolves flags and environment into settings (provider, base URL,
//! patch, credential), builds every request first, then sends them concurrently and reports.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use chrono::Utc;

use crate::cli::{ChangeFlags, Cli, Command, GlobalArgs, UpdateArgs};
use crate::error::{Error, Result};
use crate::http::{Cancel, Http, WireOptions};
use crate::output::{self, KeyResult, Outcome, Printer};
use crate::patch::{ChangeArgs, Patch};
use crate::provider::{BaseUrl, ProviderKind, Request};

/// How many requests are in flight at once.
pub const CONCURRENCY: usize = 4;

/// Runs the command and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let Cli { global, command } = cli;
    output::set_quiet(global.quiet);
    let result = match command {
        Command::Update(args) => update(&global, args).await,
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

async fn update(global: &GlobalArgs, args: UpdateArgs) -> Result<i32> {
    let UpdateArgs {
        keys,
        change,
        dry_run,
    } = args;
    let p = provider(global)?;
    let base = base_url(p, global.base_url.as_deref())?;
    let patch = Patch::from_args(change_args(change), Utc::now())?;
    let keys = unique_keys(keys);
    let reqs = build_all(p, &base, &keys, &patch)?;
    for w in p.warnings(&patch) {
        output::warn(&w);
    }
    let mut printer = Printer::new(global.output);
    if dry_run {
        if let Err(e) = credential(p, global.api_key_file.as_deref()) {
            output::warn(&format!("{e} (needed for a real run)"));
        }
        for (key, req) in keys.into_iter().zip(reqs) {
            printer.push(KeyResult {
                provider: p,
                key,
                outcome: Outcome::DryRun(req),
            });
        }
        printer.finish();
        return Ok(0);
    }
    let secret = credential(p, global.api_key_file.as_deref())?;
    output::register_secret(&secret);
    let cancel = Cancel::default();
    let http = Arc::new(Http::new(wire_options(global), cancel.clone())?);
    let watcher = tokio::spawn(watch_ctrl_c(cancel.clone()));
    let results = send_all(p, &base, http, Arc::new(secret), keys, reqs, &mut printer).await;
    watcher.abort();
    printer.finish();
    Ok(report(p, &results, cancel.is_cancelled()))
}

/// Sends each request with at most CONCURRENCY in flight; prints results in input order.
async fn send_all(
    p: ProviderKind,
    base: &BaseUrl,
    http: Arc<Http>,
    secret: Arc<String>,
    keys: Vec<String>,
    reqs: Vec<Request>,
    printer: &mut Printer,
) -> Vec<(String, Option<Error>)> {
    let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let origin = Arc::new(base.origin());
    let mut handles = Vec::with_capacity(reqs.len());
    for (key, req) in keys.iter().cloned().zip(reqs) {
        let (sem, http, secret, origin) =
            (sem.clone(), http.clone(), secret.clone(), origin.clone());
        handles.push(tokio::spawn(async move {
            let Ok(_permit) = sem.acquire_owned().await else {
                return Outcome::Failed(Error::Internal("semaphore closed".into()));
            };
            match update_one(p, &http, &origin, &secret, &key, &req).await {
                Ok(view) => Outcome::Updated(Box::new(view)),
                Err(e) => Outcome::Failed(e),
            }
        }));
    }
    let mut results = Vec::with_capacity(keys.len());
    for (key, h) in keys.into_iter().zip(handles) {
        let outcome = h
            .await
            .unwrap_or_else(|e| Outcome::Failed(Error::Internal(format!("task failed: {e}"))));
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
    results
}

async fn update_one(
    p: ProviderKind,
    http: &Http,
    origin: &str,
    secret: &str,
    key: &str,
    req: &Request,
) -> Result<crate::provider::KeyView> {
    let resp = http.send(p.display_name(), origin, req, secret).await?;
    if (200..300).contains(&resp.status) {
        let sent = req.body.clone().unwrap_or_default();
        p.parse_update(key, &sent, &resp.body)
    } else {
        Err(p.error_for(&resp))
    }
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
