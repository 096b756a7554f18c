//! The HTTP layer: one reqwest client, and `send` with retries (exponential backoff, full jitter,
//! rate-limit headers), timeouts, no redirects, a capped body read and the credential marked
//! sensitive. It knows requests and statuses, never providers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::output;
use crate::provider::{Method, Request};

/// The most of a response body keyctl reads.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

pub fn user_agent() -> String {
    format!("keyctl/{}", env!("CARGO_PKG_VERSION"))
}

/// How hard to try.
#[derive(Debug, Clone)]
pub struct WireOptions {
    pub retries: u32,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_wait: Duration,
    pub verbose: bool,
    /// First backoff step; doubled on each retry (tests shorten it).
    pub backoff_base: Duration,
}

/// A response whose status keyctl will interpret (2xx, 4xx, or 5xx after the retries).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// Set when keyctl stopped retrying because the server asked for a wait over --max-wait.
    pub wait_refused: Option<String>,
}

/// Ctrl-C: once set, no new attempt starts and backoff waits end.
#[derive(Debug, Default, Clone)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Cancel {
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Sleeps for `d`, or less if cancelled. Returns false when cancelled.
    pub async fn sleep(&self, d: Duration) -> bool {
        let notified = self.notify.notified();
        if self.is_cancelled() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.is_cancelled(),
            _ = notified => false,
        }
    }
}

/// The client and the options; build it only when a request will really be sent.
pub struct Http {
    client: reqwest::Client,
    opts: WireOptions,
    pub cancel: Cancel,
    /// Shared backoff: after a 429 or 5xx asked every task to wait, no attempt of any task
    /// starts before this moment, so a run slows down as a whole instead of hammering.
    pause_until: std::sync::Mutex<Option<Instant>>,
}

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

impl Http {
    pub fn new(opts: WireOptions, cancel: Cancel) -> Result<Http> {
        // ring is the crypto backend (measured: ~45 s faster to build than aws-lc-rs); installing
        // fails only when a provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(opts.connect_timeout)
            .user_agent(user_agent())
            .build()
            .map_err(|e| Error::Internal(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Http {
            client,
            opts,
            cancel,
            pause_until: std::sync::Mutex::new(None),
        })
    }

    /// Sends `req` with `secret` in its auth header, retrying what is safe to retry.
    /// `origin` is the configured base URL's origin: the only place the credential may go.
    pub async fn send(
        &self,
        label: &'static str,
        origin: &str,
        req: &Request,
        secret: &str,
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
        let attempts = self.opts.retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            if self.cancel.is_cancelled() {
                return Err(Error::Interrupted);
            }
            if let Some(d) = self.shared_pause() {
                if self.opts.verbose {
                    output::diag(&format!(
                        "  waiting {} (the provider asked this run to slow down)",
                        humantime::format_duration(round_ms(d))
                    ));
                }
                if !self.cancel.sleep(d).await {
                    return Err(Error::Interrupted);
                }
            }
            let (why, wait, last) = match self.attempt(label, req, &url, &headers, attempt).await? {
                Attempt::Done(r) => return Ok(r),
                Attempt::Retry { why, wait, last } => (why, wait, last),
            };
            let refuse =
                matches!(last, Last::Response(_)) && wait.is_some_and(|w| w > self.opts.max_wait);
            if refuse || attempt >= attempts {
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
            let delay = wait.unwrap_or_else(|| self.backoff(attempt));
            if matches!(&last, Last::Response(r) if r.status == 429) {
                self.pause_all(delay);
            }
            if self.opts.verbose {
                output::diag(&format!(
                    "  {why}; retrying in {} (attempt {} of {attempts})",
                    humantime::format_duration(round_ms(delay)),
                    attempt + 1
                ));
            }
            if !self.cancel.sleep(delay).await {
                return Err(Error::Interrupted);
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
        if let Ok(mut p) = self.pause_until.lock() {
            let until = Instant::now() + d;
            if p.is_none_or(|cur| cur < until) {
                *p = Some(until);
            }
        }
    }

    fn wait_refused(&self, w: Duration) -> String {
        let until = Utc::now() + chrono::Duration::from_std(w).unwrap_or_default();
        format!(
            "the provider asked to wait {} (until {}), longer than --max-wait {}; \
             it will accept requests again after that time",
            humantime::format_duration(round_secs(w)),
            until.format("%Y-%m-%dT%H:%M:%SZ"),
            humantime::format_duration(self.opts.max_wait)
        )
    }

    fn headers(&self, req: &Request, secret: &str) -> Result<HeaderMap> {
        let mut h = HeaderMap::new();
        let mut auth = HeaderValue::from_str(&req.auth.header_value(secret)).map_err(|_| {
            Error::Credential(
                "the credential contains characters that cannot be sent in an HTTP header \
                 (a stray space or line break?); check the variable or file"
                    .into(),
            )
        })?;
        auth.set_sensitive(true);
        h.insert(req.auth.header_name(), auth);
        h.insert("accept", HeaderValue::from_static("application/json"));
        if req.body.is_some() {
            h.insert("content-type", HeaderValue::from_static("application/json"));
        }
        Ok(h)
    }

    /// Full jitter: a uniform wait in [base/2, base * 2^(n-1)], capped by --max-wait. The floor
    /// keeps a run of failures from bursting (Venice blocks > 20 failures in 30 s).
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.opts.backoff_base.as_millis() as u64;
        let ceiling = base.saturating_mul(1u64 << (attempt - 1).min(16));
        let ceiling = ceiling.min(self.opts.max_wait.as_millis() as u64).max(1);
        let floor = (base / 2).min(ceiling);
        Duration::from_millis(fastrand::u64(floor..=ceiling))
    }

    async fn attempt(
        &self,
        label: &'static str,
        req: &Request,
        url: &reqwest::Url,
        headers: &HeaderMap,
        attempt: u32,
    ) -> Result<Attempt> {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Patch => reqwest::Method::PATCH,
        };
        let mut rb = self
            .client
            .request(method, url.clone())
            .headers(headers.clone());
        if let Some(b) = &req.body {
            rb = rb.body(b.to_string());
        }
        if self.opts.verbose {
            output::log_request(req, attempt);
        }
        let started = Instant::now();
        let fut = async {
            let resp = rb.send().await?;
            let status = resp.status().as_u16();
            let hdrs = resp.headers().clone();
            let body = read_capped(resp).await?;
            Ok::<_, ReadError>((status, hdrs, body))
        };
        let res = tokio::time::timeout(self.opts.timeout, fut).await;
        let elapsed = started.elapsed();
        let (status, hdrs, body) = match res {
            Err(_) => {
                if self.opts.verbose {
                    output::diag(&format!("< timeout after {} ms", elapsed.as_millis()));
                }
                return Ok(Attempt::Retry {
                    why: "request timed out".into(),
                    wait: None,
                    last: Last::Error(self.timeout_error(label, "request")),
                });
            }
            Ok(Err(ReadError::Http(e))) => {
                if self.opts.verbose {
                    output::diag(&format!(
                        "< {} after {} ms",
                        describe(&e),
                        elapsed.as_millis()
                    ));
                }
                let err = if e.is_timeout() {
                    self.timeout_error(label, "connect")
                } else {
                    Error::Network {
                        provider: label,
                        message: describe(&e),
                    }
                };
                return Ok(Attempt::Retry {
                    why: describe(&e),
                    wait: None,
                    last: Last::Error(err),
                });
            }
            Ok(Err(ReadError::TooLarge)) => {
                return Err(Error::Provider {
                    provider: label,
                    status: None,
                    message: format!(
                        "the response is larger than {} MiB; refusing to read it",
                        MAX_BODY / 1024 / 1024
                    ),
                });
            }
            Ok(Ok(x)) => x,
        };
        if self.opts.verbose {
            output::diag(&format!("< {status} in {} ms", elapsed.as_millis()));
        }
        if (300..400).contains(&status) {
            let loc = hdrs
                .get("location")
                .map(|v| output::sanitize(&String::from_utf8_lossy(v.as_bytes())))
                .unwrap_or_else(|| "(no Location)".into());
            return Err(Error::Provider {
                provider: label,
                status: Some(status),
                message: format!(
                    "unexpected redirect (HTTP {status}) to {loc}; keyctl does not follow redirects \
                     so the credential never leaves the configured origin: check --base-url"
                ),
            });
        }
        let resp = Response {
            status,
            body,
            wait_refused: None,
        };
        if matches!(status, 429 | 500 | 502 | 503 | 504) {
            return Ok(Attempt::Retry {
                why: format!("HTTP {status}"),
                wait: server_wait(&hdrs, Utc::now()),
                last: Last::Response(resp),
            });
        }
        Ok(Attempt::Done(resp))
    }

    fn timeout_error(&self, label: &'static str, which: &'static str) -> Error {
        match which {
            "connect" => Error::Timeout {
                provider: label,
                which: "connect",
                flag: "--connect-timeout",
                after: self.opts.connect_timeout,
            },
            _ => Error::Timeout {
                provider: label,
                which: "request",
                flag: "--timeout",
                after: self.opts.timeout,
            },
        }
    }
}

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

impl From<reqwest::Error> for ReadError {
    fn from(e: reqwest::Error) -> Self {
        ReadError::Http(e)
    }
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
        msg.push_str(&output::sanitize(&l));
    }
    msg
}

fn round_secs(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64)
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
    (at - now).to_std().unwrap_or(Duration::ZERO)
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
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
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
}
