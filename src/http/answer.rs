//! What an answer's status and headers mean for the retry loop: done, retried (after the wait
//! `Retry-After` or a rate-limit header asks for), or a redirect, never followed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

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
                crate::text::sanitize(&crate::mask::scrub_quoted(&v))
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
    use crate::http::tests::{hm, now};

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
}
