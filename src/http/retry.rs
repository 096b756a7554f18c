//! `send` and its retry loop: exponential backoff with full jitter, a floor under every wait,
//! the waits a provider asks for (shared by the whole run after a 429), timeouts, and signals.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::HeaderMap;

use super::answer::{Class, classify};
use super::{Http, describe, is_parse_error};
use crate::credential::Secret;
use crate::error::{Error, Result, Sent, TimeoutKind};
use crate::output;
use crate::request::{Method, Request, Response};

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

impl Http {
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

fn round_secs(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0)))
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(millis(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::server_wait;
    use crate::http::tests::{hm, http, now};

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
}
