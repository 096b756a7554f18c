//! The HTTP layer: one reqwest client, and `send` with retries (exponential backoff, full jitter,
//! a floor under every wait, rate-limit headers), timeouts, no redirects, a capped body read, the
//! credential marked sensitive, and signals (a first one starts no new attempt, a second one
//! drops the attempt in flight). It knows requests and statuses, never providers.

mod answer;
mod cancel;
mod retry;

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};

use crate::credential::Secret;
use crate::error::{Error, Result};
use crate::request::{MAX_BODY, Method, Request, Response};

pub use answer::{Class, classify, server_wait};
pub use cancel::Cancel;

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    pub(super) fn hm(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_bytes(v.as_bytes()).unwrap());
        }
        h
    }

    pub(super) fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    pub(super) fn http(max_wait: Duration) -> Http {
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
}
