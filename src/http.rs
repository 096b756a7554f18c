//! The HTTP layer: one reqwest client, and `send` with retries (exponential backoff, full jitter,
//! a floor under every wait, rate-limit headers), timeouts, no redirects, a capped body read, the
//! credential marked sensitive, and signals (a first one starts no new attempt, a second one
//! drops the attempt in flight). It knows requests and statuses, never providers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::sync::Notify;

use crate::error::{Error, Result, Sent, TimeoutKind};
use crate::output;
use crate::request::{MAX_BODY, Method, Request, Response};
use crate::secret::Secret;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct WireOptions {
    pub retries: u32,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_wait: Duration,
    pub verbose: bool,
    /// First backoff step; doubled on each retry (tests shorten it). Half of it, with jitter,
    /// is the floor under every wait, whatever the server asks.
    pub backoff_base: Duration,
}

/// Signals: a first one (soft) starts no new attempt and ends waits; a second one (hard) also
/// drops attempts in flight. The first signal's number decides the exit code (128 + n).
#[derive(Debug, Default, Clone)]
pub struct Cancel {
    inner: Arc<CancelState>,
}

#[derive(Debug, Default)]
struct CancelState {
    soft: AtomicBool,
    hard: AtomicBool,
    signal: AtomicI32,
    notify: Notify,
}

impl Cancel {
    /// The first signal (`sig` is its number); later calls keep the first number.
    pub fn cancel(&self, sig: i32) {
        let _ = self
            .inner
            .signal
            .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
        self.inner.soft.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// Drops the requests in flight too.
    pub fn cancel_hard(&self) {
        self.inner.hard.store(true, Ordering::SeqCst);
        self.inner.soft.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.soft.load(Ordering::SeqCst)
    }

    pub fn is_hard(&self) -> bool {
        self.inner.hard.load(Ordering::SeqCst)
    }

    /// The number of the first signal, if one came.
    pub fn signal(&self) -> Option<i32> {
        match self.inner.signal.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }

    /// Resolves once a soft cancel (or more) has happened.
    pub async fn cancelled(&self) {
        loop {
            let n = self.inner.notify.notified();
            if self.is_cancelled() {
                return;
            }
            n.await;
        }
    }

    /// Resolves once a hard cancel has happened.
    pub async fn hard(&self) {
        loop {
            let n = self.inner.notify.notified();
            if self.is_hard() {
                return;
            }
            n.await;
        }
    }

    /// Sleeps for `d`, or less if cancelled. Returns false when cancelled.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.is_cancelled(),
            _ = self.cancelled() => false,
        }
    }
}

/// The client and the options; build it only when a request will really be sent.
pub struct Http {
    client: reqwest::Client,
    opts: WireOptions,
    pub cancel: Cancel,
    /// A proxy variable applies to this (https) run: network errors say so.
    proxied: bool,
    /// Shared backoff: after a 429 asked every task to wait, no attempt of any task starts
    /// before this moment, so a run slows down as a whole instead of hammering.
    pause_until: std::sync::Mutex<Option<Instant>>,
}

/// What one attempt came to.
enum Attempt {
    Done(Response),
    /// Worth another try; `last` is the answer if no attempt is left.
    Retry {
        why: String,
        wait: Option<Duration>,
        last: Last,
    },
}

enum Last {
    Response(Response),
    Error(Error),
}

/// What the status, headers and body of an answer mean for the retry loop (pure).
#[derive(Debug, PartialEq)]
pub enum Class {
    /// Hand the answer to the caller.
    Done,
    /// Retry, after `wait` if the server named one.
    Retry { wait: Option<Duration> },
    /// A redirect: never followed.
    Redirect { location: String },
}

/// Classifies an answer: 3xx is a redirect, 429/500/502/503/504 are retried, the rest is done.
pub fn classify(status: u16, headers: &HeaderMap, now: DateTime<Utc>) -> Class {
    if (300..400).contains(&status) {
        let location = headers
            .get("location")
            .map(|v| {
                // A Location is part of the answer: a secret in its query or path is not shown.
                let v = String::from_utf8_lossy(v.as_bytes());
                crate::text::sanitize(&crate::secret::scrub_quoted(&v))
            })
            .unwrap_or_else(|| "(no Location)".into());
        return Class::Redirect { location };
    }
    if matches!(status, 429 | 500 | 502 | 503 | 504) {
        return Class::Retry {
            wait: server_wait(headers, now),
        };
    }
    Class::Done
}

impl Http {
    /// `tls`: the base URL is https. A plain-http (loopback) base URL gets a client that loads
    /// no certificate store and ignores proxy variables, so the credential never travels in
    /// cleartext to a proxy; an https one tunnels through a configured proxy (CONNECT).
    pub fn new(opts: WireOptions, cancel: Cancel, tls: bool) -> Result<Http> {
        // ring is the crypto backend (measured: ~45 s faster to build than aws-lc-rs); installing
        // fails only when a provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(opts.connect_timeout);
        if !tls {
            b = b.no_proxy().tls_certs_only([]);
        }
        let client = b
            .build()
            .map_err(|e| Error::Internal(format!("cannot set up the HTTP client: {e}")))?;
        let proxied = tls
            && ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
                .iter()
                .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        Ok(Http {
            client,
            opts,
            cancel,
            proxied,
            pause_until: std::sync::Mutex::new(None),
        })
    }

    /// Sends `req` with `secret` in its auth header, retrying what is safe to retry.
    /// `origin` is the configured base URL's origin: the only place the credential may go.
    /// A write that may have reached the provider without an answer fails as `Error::Unknown`.
    pub async fn send(
        &self,
        label: &'static str,
        origin: &str,
        req: &Request,
        secret: &Secret,
    ) -> Result<Response> {
        let url = reqwest::Url::parse(&req.url)
            .map_err(|e| Error::Internal(format!("bad request URL: {e}")))?;
        if url.origin().ascii_serialization() != origin {
            return Err(Error::Internal(format!(
                "refusing to send the credential to {}, which is not the configured origin {origin}",
                url.origin().ascii_serialization()
            )));
        }
        let headers = self.headers(req, secret)?;
        let mut sent = Sent::Nothing;
        let result = self.attempts(label, req, &url, &headers, &mut sent).await;
        match result {
            Ok(mut resp) => {
                resp.earlier_unanswered = sent == Sent::NoAnswer;
                Ok(resp)
            }
            Err(e)
                if req.method != Method::Get && (e.maybe_applied() || sent == Sent::NoAnswer) =>
            {
                Err(Error::Unknown { cause: Box::new(e) })
            }
            other => other,
        }
    }

    /// The retry loop; `sent` records how far the request got (for the report on a signal).
    async fn attempts(
        &self,
        label: &'static str,
        req: &Request,
        url: &reqwest::Url,
        headers: &HeaderMap,
        sent: &mut Sent,
    ) -> Result<Response> {
        let attempts = self.opts.retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            if self.cancel.is_cancelled() {
                return Err(Error::Interrupted { sent: sent.clone() });
            }
            if let Some(d) = self.shared_pause() {
                if self.opts.verbose {
                    output::diag(&format!(
                        "{}  waiting {} (the provider asked this run to slow down)",
                        output::tag(req),
                        humantime::format_duration(round_ms(d))
                    ));
                }
                if !self.cancel.sleep(d).await {
                    return Err(Error::Interrupted { sent: sent.clone() });
                }
            }
            let outcome = tokio::select! {
                r = self.attempt(label, req, url, headers, attempt) => r,
                _ = self.cancel.hard() => {
                    return Err(Error::Interrupted { sent: Sent::NoAnswer });
                }
            };
            let (why, wait, last) = match outcome {
                Err(e) => {
                    // Not retried: a redirect (an answer), or bytes that are not HTTP (the
                    // request went out and no answer keyctl can read came back).
                    let now = match &e {
                        Error::Provider { status: None, .. } => Sent::NoAnswer,
                        _ => Sent::Answered("a redirect".into()),
                    };
                    *sent = sent.clone().max(now);
                    return Err(e);
                }
                Ok(Attempt::Done(r)) => return Ok(r),
                Ok(Attempt::Retry { why, wait, last }) => (why, wait, last),
            };
            let now = match &last {
                Last::Response(r) => Sent::Answered(format!("HTTP {}", r.status)),
                Last::Error(e) if e.maybe_applied() => Sent::NoAnswer,
                Last::Error(_) => Sent::Nothing,
            };
            *sent = sent.clone().max(now);
            let refuse =
                matches!(last, Last::Response(_)) && wait.is_some_and(|w| w > self.opts.max_wait);
            let delay = wait
                .unwrap_or_else(|| self.backoff(attempt))
                .max(self.floor());
            // A 429 slows the whole run down, also when this key has no attempt left (but not
            // for a wait over --max-wait: the other keys fail fast on their own 429 instead).
            if !refuse && matches!(&last, Last::Response(r) if r.status == 429) {
                self.pause_all(delay);
            }
            // A create is repeated only when the provider surely did not act on it (429, 503,
            // or a connection that never opened): a repeat could create a second key.
            let unsafe_repeat = !req.method.is_idempotent()
                && match &last {
                    Last::Error(e) => e.maybe_applied(),
                    Last::Response(r) => !matches!(r.status, 429 | 503),
                };
            if unsafe_repeat && attempt < attempts && self.opts.verbose {
                output::diag(&format!(
                    "{}  {why}; not retried: a {} may have been applied, and a repeat could apply it twice",
                    output::tag(req),
                    req.method.as_str()
                ));
            }
            if refuse || unsafe_repeat || attempt >= attempts {
                return match last {
                    Last::Response(mut resp) => {
                        if refuse {
                            resp.wait_refused = wait.map(|w| self.wait_refused(w));
                        }
                        Ok(resp)
                    }
                    Last::Error(e) => Err(e),
                };
            }
            if self.opts.verbose {
                output::diag(&format!(
                    "{}  {why}; retrying in {} (attempt {} of {attempts})",
                    output::tag(req),
                    humantime::format_duration(round_ms(delay)),
                    attempt + 1
                ));
            }
            if !self.cancel.sleep(delay).await {
                return Err(Error::Interrupted { sent: sent.clone() });
            }
            attempt += 1;
        }
    }

    /// How long until the shared pause ends, if it has not.
    fn shared_pause(&self) -> Option<Duration> {
        let until = (*self.pause_until.lock().ok()?)?;
        until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    fn pause_all(&self, d: Duration) {
        let now = Instant::now();
        // A wait too long for the clock is as good as a very long one (no overflow).
        let Some(until) = now
            .checked_add(d)
            .or_else(|| now.checked_add(Duration::from_secs(86_400 * 365)))
        else {
            return;
        };
        if let Ok(mut p) = self.pause_until.lock()
            && p.is_none_or(|cur| cur < until)
        {
            *p = Some(until);
        }
    }

    fn wait_refused(&self, w: Duration) -> String {
        let until = chrono::Duration::from_std(w)
            .ok()
            .and_then(|d| Utc::now().checked_add_signed(d))
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| "a time too far ahead to show".into());
        format!(
            "the provider asked to wait {} (until {until}), longer than --max-wait {}; \
             it will accept requests again after that time",
            humantime::format_duration(round_secs(w)),
            humantime::format_duration(self.opts.max_wait)
        )
    }

    /// The headers of `req` from the one builder every display also uses, with the secret
    /// swapped in for `****` here and only here (and marked sensitive).
    fn headers(&self, req: &Request, secret: &Secret) -> Result<HeaderMap> {
        let mut h = HeaderMap::new();
        for (name, value) in req.headers(secret.expose()) {
            let mut v = HeaderValue::from_str(&value).map_err(|_| {
                Error::Credential(
                    "the credential contains characters that cannot be sent in an HTTP header; \
                     check the variable or file"
                        .into(),
                )
            })?;
            v.set_sensitive(name == req.auth.header_name());
            h.insert(name, v);
        }
        Ok(h)
    }

    /// Full jitter: a uniform wait in [base/2, base * 2^(n-1)], capped by --max-wait.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = millis(self.opts.backoff_base);
        let ceiling = base.saturating_mul(1u64 << attempt.saturating_sub(1).min(16));
        let ceiling = ceiling.min(millis(self.opts.max_wait)).max(1);
        let floor = (base / 2).min(ceiling);
        Duration::from_millis(fastrand::u64(floor..=ceiling))
    }

    /// The least any wait lasts, whatever the server says (`Retry-After: 0` included): half
    /// the backoff base (250 ms by default) plus up to half as much again of jitter, so a run
    /// of many keys cannot burst (Venice locks a key out after > 50 failures in 30 s).
    fn floor(&self) -> Duration {
        let half = millis(self.opts.backoff_base) / 2;
        Duration::from_millis(half + fastrand::u64(0..=half / 2))
    }

    /// One attempt: send, read the answer, and say what it means for the retry loop.
    async fn attempt(
        &self,
        label: &'static str,
        req: &Request,
        url: &reqwest::Url,
        headers: &HeaderMap,
        attempt: u32,
    ) -> Result<Attempt> {
        if self.opts.verbose {
            output::log_request(req, attempt);
        }
        let started = Instant::now();
        let res = tokio::time::timeout(self.opts.timeout, self.exchange(req, url, headers)).await;
        let elapsed = started.elapsed().as_millis();
        match res {
            Err(_) => {
                self.log(req, &format!("< timeout after {elapsed} ms"));
                Ok(Attempt::Retry {
                    why: "request timed out".into(),
                    wait: None,
                    last: Last::Error(self.timeout_error(label, TimeoutKind::Request)),
                })
            }
            Ok(Err(e)) => {
                self.log(req, &format!("< {} after {elapsed} ms", describe(&e)));
                self.transport_failure(label, &e)
            }
            Ok(Ok((resp, hdrs))) => {
                self.log(req, &format!("< {} in {elapsed} ms", resp.status));
                judge(label, resp, &hdrs)
            }
        }
    }

    /// Sends the request and reads the answer (the body up to [`MAX_BODY`]).
    async fn exchange(
        &self,
        req: &Request,
        url: &reqwest::Url,
        headers: &HeaderMap,
    ) -> reqwest::Result<(Response, HeaderMap)> {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Patch => reqwest::Method::PATCH,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut rb = self
            .client
            .request(method, url.clone())
            .headers(headers.clone());
        if let Some(b) = &req.body {
            rb = rb.body(b.to_string());
        }
        let resp = rb.send().await?;
        let status = resp.status().as_u16();
        let hdrs = resp.headers().clone();
        let (body, too_large) = read_capped(resp).await?;
        let resp = Response {
            too_large,
            ..Response::new(status, body)
        };
        Ok((resp, hdrs))
    }

    /// A transport error: bytes that are not HTTP fail at once (exit 7); a connect timeout,
    /// refused connection or broken one is worth another attempt.
    fn transport_failure(&self, label: &'static str, e: &reqwest::Error) -> Result<Attempt> {
        if is_parse_error(e) {
            return Err(Error::Provider {
                provider: label,
                status: None,
                message: format!(
                    "the answer is not valid HTTP ({}); check --base-url points at the provider's API",
                    describe(e)
                ),
            });
        }
        let err = if e.is_timeout() {
            self.timeout_error(label, TimeoutKind::Connect)
        } else {
            let mut message = describe(e);
            if self.proxied {
                message.push_str(" (through the proxy set in HTTPS_PROXY/ALL_PROXY: check it too)");
            }
            Error::Network {
                provider: label,
                message,
                sent: !e.is_connect(),
            }
        };
        Ok(Attempt::Retry {
            why: describe(e),
            wait: None,
            last: Last::Error(err),
        })
    }

    fn log(&self, req: &Request, line: &str) {
        if self.opts.verbose {
            output::diag(&format!("{}{line}", output::tag(req)));
        }
    }

    fn timeout_error(&self, label: &'static str, which: TimeoutKind) -> Error {
        Error::Timeout {
            provider: label,
            which,
            after: match which {
                TimeoutKind::Connect => self.opts.connect_timeout,
                TimeoutKind::Request => self.opts.timeout,
            },
        }
    }
}

/// What an answer means for the retry loop, from [`classify`]: a redirect fails (never
/// followed), a retryable status is retried, anything else goes back to the caller.
fn judge(label: &'static str, resp: Response, hdrs: &HeaderMap) -> Result<Attempt> {
    let status = resp.status;
    match classify(status, hdrs, Utc::now()) {
        Class::Redirect { location } => Err(Error::Provider {
            provider: label,
            status: Some(status),
            message: format!(
                "unexpected redirect (HTTP {status}) to {location}; keyctl does not follow redirects \
                 so the credential never leaves the configured origin: check --base-url"
            ),
        }),
        Class::Retry { wait } => Ok(Attempt::Retry {
            why: format!("HTTP {status}"),
            wait,
            last: Last::Response(resp),
        }),
        Class::Done => Ok(Attempt::Done(resp)),
    }
}

/// A duration in whole milliseconds, saturating (a `--max-wait` of 2^64 s must not wrap).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The body, or an empty one and `true` when it is larger than [`MAX_BODY`].
async fn read_capped(mut resp: reqwest::Response) -> reqwest::Result<(Vec<u8>, bool)> {
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Ok((Vec::new(), true));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Ok((Vec::new(), true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// The server's bytes are not HTTP (a garbage status line, HTTP/0.9, a malformed header).
fn is_parse_error(e: &reqwest::Error) -> bool {
    use std::error::Error as _;
    let mut src = e.source();
    while let Some(s) = src {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            return h.is_parse() || h.is_parse_status();
        }
        src = s.source();
    }
    false
}

/// A short, credential-free description of a transport error.
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut msg = if e.is_connect() {
        "could not connect".to_string()
    } else if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the response".to_string()
    } else {
        "request failed".to_string()
    };
    let mut src = e.source();
    let mut last = None;
    while let Some(s) = src {
        last = Some(s.to_string());
        src = s.source();
    }
    if let Some(l) = last {
        msg.push_str(": ");
        msg.push_str(&crate::text::sanitize(&l));
    }
    msg
}

fn round_secs(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0)))
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(millis(d))
}

/// How long the server asked us to wait: `Retry-After` (seconds or HTTP-date), then
/// `X-RateLimit-Reset` and `x-ratelimit-reset-requests` (epoch seconds or milliseconds).
pub fn server_wait(h: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let get = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    if let Some(v) = get("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(secs) = v.parse::<f64>()
            && (0.0..1e9).contains(&secs)
        {
            return Some(Duration::from_secs_f64(secs));
        }
        if let Ok(at) = DateTime::parse_from_rfc2822(v) {
            return Some(until(at.to_utc(), now));
        }
    }
    for name in ["x-ratelimit-reset", "x-ratelimit-reset-requests"] {
        if let Some(at) = get(name).and_then(epoch) {
            return Some(until(at, now));
        }
    }
    None
}

fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    at.signed_duration_since(now)
        .to_std()
        .unwrap_or(Duration::ZERO)
}

/// An epoch timestamp in seconds or milliseconds (values past year 33658 in seconds are ms).
fn epoch(v: &str) -> Option<DateTime<Utc>> {
    let n: f64 = v.parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let ms = if n >= 1e12 { n } else { n * 1000.0 };
    if ms > 8.64e15 {
        return None;
    }
    DateTime::from_timestamp_millis(ms as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hm(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_bytes(v.as_bytes()).unwrap());
        }
        h
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    #[test]
    fn retry_after_forms() {
        let now = now();
        assert_eq!(
            server_wait(&hm(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            server_wait(
                &hm(&[("retry-after", "Mon, 23 Nov 2026 12:00:30 GMT")]),
                now
            ),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            server_wait(
                &hm(&[("retry-after", "Mon, 23 Nov 2026 11:00:30 GMT")]),
                now
            ),
            Some(Duration::ZERO)
        );
        let secs = now.timestamp() + 20;
        assert_eq!(
            server_wait(&hm(&[("x-ratelimit-reset", &secs.to_string())]), now),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            server_wait(
                &hm(&[("x-ratelimit-reset", &(secs * 1000).to_string())]),
                now
            ),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            server_wait(
                &hm(&[("x-ratelimit-reset-requests", &secs.to_string())]),
                now
            ),
            Some(Duration::from_secs(20))
        );
        assert_eq!(server_wait(&hm(&[("retry-after", "soon")]), now), None);
        assert_eq!(
            server_wait(&hm(&[("x-ratelimit-reset", "1e400")]), now),
            None
        );
        assert_eq!(server_wait(&hm(&[("x-ratelimit-reset", "-5")]), now), None);
        assert_eq!(server_wait(&HeaderMap::new(), now), None);
    }

    #[test]
    fn classify_statuses() {
        let none = HeaderMap::new();
        for s in [200, 201, 204, 400, 401, 403, 404, 422, 501, 505] {
            assert_eq!(classify(s, &none, now()), Class::Done, "{s}");
        }
        for s in [429, 500, 502, 503, 504] {
            assert_eq!(
                classify(s, &none, now()),
                Class::Retry { wait: None },
                "{s}"
            );
        }
        assert_eq!(
            classify(503, &hm(&[("retry-after", "3")]), now()),
            Class::Retry {
                wait: Some(Duration::from_secs(3))
            }
        );
        assert_eq!(
            classify(
                302,
                &hm(&[("location", "https://evil.example/\u{202e}x")]),
                now()
            ),
            Class::Redirect {
                location: "https://evil.example/x".into()
            }
        );
        assert_eq!(
            classify(307, &none, now()),
            Class::Redirect {
                location: "(no Location)".into()
            }
        );
    }

    fn http(max_wait: Duration) -> Http {
        Http::new(
            WireOptions {
                retries: 3,
                timeout: Duration::from_secs(1),
                connect_timeout: Duration::from_secs(1),
                max_wait,
                verbose: false,
                backoff_base: Duration::from_millis(500),
            },
            Cancel::default(),
            false,
        )
        .unwrap()
    }

    /// The headers sent are the display's, with the secret in the auth header only, and that
    /// header alone marked sensitive (kept out of any debug output).
    #[test]
    fn sent_headers_mark_the_credential_sensitive() {
        let h = http(Duration::from_secs(60));
        let secret = Secret::parse("s3cret-value", "test").unwrap().unwrap();
        let req = Request::patch(
            "http://127.0.0.1/x".into(),
            crate::request::AuthScheme::Bearer,
            serde_json::json!({}),
        );
        let sent = h.headers(&req, &secret).unwrap();
        let auth = &sent["authorization"];
        assert_eq!(auth.to_str().unwrap(), "Bearer s3cret-value");
        assert!(auth.is_sensitive());
        for name in ["content-type", "accept", "user-agent"] {
            assert!(!sent[name].is_sensitive(), "{name}");
        }
        let shown = req.redacted_headers();
        assert_eq!(sent.len(), shown.len());
        for (name, value) in &shown[1..] {
            assert_eq!(sent[*name].to_str().unwrap(), value);
        }
    }

    /// Regression: `Retry-After: 10000000000000` and `--max-wait 2^64-1 s` panicked in time
    /// arithmetic (chrono `DateTime + TimeDelta`, `Instant + Duration`).
    #[test]
    fn huge_waits_do_not_overflow() {
        let huge = Duration::from_secs(10_000_000_000_000);
        let h = http(Duration::from_secs(60));
        assert!(h.wait_refused(huge).contains("too far ahead"));
        assert!(h.wait_refused(Duration::MAX).contains("too far ahead"));
        h.pause_all(huge);
        h.pause_all(Duration::MAX);
        assert!(h.shared_pause().is_some());
        let h = http(Duration::from_secs(u64::MAX));
        for a in [1, 2, 16, 17, u32::MAX] {
            let _ = h.backoff(a);
        }
        assert_eq!(round_secs(Duration::MAX).as_secs(), u64::MAX);
        assert_eq!(millis(Duration::MAX), u64::MAX);
        assert_eq!(
            server_wait(&hm(&[("retry-after", "10000000000000")]), now()),
            Some(huge)
        );
        assert_eq!(
            server_wait(&hm(&[("retry-after", "18446744073709551615")]), now()),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn every_wait_has_a_floor() {
        let h = http(Duration::from_secs(60));
        for _ in 0..200 {
            let f = h.floor();
            assert!(
                f >= Duration::from_millis(250) && f <= Duration::from_millis(375),
                "{f:?}"
            );
        }
    }

    #[tokio::test]
    async fn cancel_keeps_the_first_signal() {
        let c = Cancel::default();
        assert_eq!(c.signal(), None);
        assert!(c.sleep(Duration::from_millis(1)).await);
        c.cancel(15);
        c.cancel(2);
        assert_eq!(c.signal(), Some(15));
        assert!(c.is_cancelled() && !c.is_hard());
        assert!(!c.sleep(Duration::from_secs(60)).await);
        c.cancel_hard();
        c.hard().await;
    }
}
