//! Where a provider's requests go: [`BaseUrl`], a checked base URL that joins path segments,
//! and the OpenRouter [`Workspace`] it may be scoped to; [`display_url`] shows a URL as typed
//! without anything secret in it.

use std::fmt;

use crate::error::{Error, Result};

/// Where a provider's requests go: a checked base URL (https, or http on a loopback host; no
/// credentials, query or fragment) and, on a provider with workspaces ([`super::Info::workspaces`]),
/// the workspace the account's key list and creates are scoped to ([`BaseUrl::with_workspace`]:
/// the adapter sends it where the provider's document allows, and nowhere else).
#[derive(Debug, Clone, PartialEq)]
pub struct BaseUrl(reqwest::Url, Option<Workspace>);

/// An OpenRouter workspace id: a UUID (the `format: uuid` of the `workspace_id` that
/// OpenRouter's published document gives `GET /keys` and `POST /keys`), kept in its hyphenated
/// lower-case form, which needs no escaping anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace(String);

impl Workspace {
    /// A workspace id as given (`what`: where it came from, for the message): a UUID in any
    /// usual spelling, else a usage error that does not echo a pasted key.
    pub fn parse(s: &str, what: &str) -> std::result::Result<Workspace, String> {
        let t = s.trim();
        match uuid::Uuid::parse_str(t) {
            Ok(u) => Ok(Workspace(u.hyphenated().to_string())),
            _ => Err(format!(
                "{what}: '{}' is not a workspace id: OpenRouter's key endpoints take the \
                 workspace's UUID (e.g. 0df9e665-d932-5740-b2c7-b52af166bc11), not its name or \
                 slug; its workspace settings page, or GET /api/v1/workspaces, shows the id",
                crate::mask::shown(t)
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl BaseUrl {
    pub fn parse(s: &str) -> Result<BaseUrl> {
        let shown = display_url(s);
        let url = reqwest::Url::parse(s.trim()).map_err(|e| {
            Error::usage(format!(
                "the base URL is not a valid URL ({e}); use e.g. https://api.example.com"
            ))
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::usage(format!(
                "base URL '{shown}' contains credentials; pass the credential through its environment variable or --api-key-file"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::usage(format!(
                "base URL '{shown}' must not have a query or fragment"
            )));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(Error::usage(format!(
                    "refusing plain http:// base URL '{shown}': the admin credential would travel unencrypted; \
                     use https:// (http:// is allowed only for loopback hosts such as 127.0.0.1)"
                )));
            }
            other => {
                return Err(Error::usage(format!(
                    "base URL '{shown}' has scheme '{}'; use https://",
                    crate::text::sanitize(other)
                )));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::usage(format!("base URL '{shown}' has no host")));
        }
        Ok(BaseUrl(url, None))
    }

    /// The same address scoped to `workspace` (see [`super::Info::workspaces`]).
    pub fn with_workspace(mut self, workspace: Option<Workspace>) -> BaseUrl {
        self.1 = workspace;
        self
    }

    /// The workspace the key list and creates are scoped to, if one was given.
    pub fn workspace(&self) -> Option<&Workspace> {
        self.1.as_ref()
    }

    /// True for https (a plain-http base URL is loopback only, and needs no certificates).
    pub fn is_tls(&self) -> bool {
        self.0.scheme() == "https"
    }

    /// The base URL with `segments` appended to its path, each percent-encoded as one segment.
    pub fn join(&self, segments: &[&str]) -> Result<String> {
        let mut url = self.0.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|_| Error::usage("the base URL cannot take a path"))?;
            path.pop_if_empty();
            for s in segments {
                path.push(s);
            }
        }
        Ok(url.to_string())
    }

    /// The URL as it may be shown (no user information).
    pub fn shown(&self) -> String {
        let mut u = self.0.clone();
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u.set_query(None);
        u.set_fragment(None);
        crate::text::sanitize(u.as_str())
    }

    /// `scheme://host:port` of this URL: the only origin the credential may be sent to.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A URL as typed, made safe to show in an error: only its scheme, host and port as the `url`
/// crate parses them (`/…` stands for a path, query or fragment; userinfo is never shown), and
/// nothing of one that does not parse, since a password could sit anywhere in it.
pub fn display_url(s: &str) -> String {
    let Ok(url) = reqwest::Url::parse(s.trim()) else {
        return "(the value given, not shown)".into();
    };
    let mut shown = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        shown.push_str("****@");
    }
    if let Some(h) = url.host_str() {
        shown.push_str(h);
    }
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        shown.push_str("/…");
    }
    crate::text::sanitize(&shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        assert!(BaseUrl::parse("https://api.venice.ai").is_ok());
        assert!(BaseUrl::parse("http://127.0.0.1:8080").is_ok());
        assert!(BaseUrl::parse("http://127.3.2.1").is_ok());
        assert!(BaseUrl::parse("http://localhost:1").is_ok());
        assert!(BaseUrl::parse("http://[::1]:9").is_ok());
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "ftp://x",
            "https://user:pw@example.com",
            "https://example.com/?a=1",
            "not a url",
            "",
        ] {
            let e = BaseUrl::parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(!e.to_string().contains("pw@"), "{e}");
        }
    }

    #[test]
    fn urls_in_messages_show_scheme_host_and_port_only() {
        assert_eq!(
            display_url("https://user:pw@example.com:8443/x?k=v"),
            "https://****@example.com:8443/…"
        );
        assert_eq!(display_url("https://example.com"), "https://example.com");
        assert_eq!(display_url("not a url"), "(the value given, not shown)");
    }

    #[test]
    fn join_keeps_prefix_and_encodes_one_segment() {
        let b = BaseUrl::parse("https://proxy.example/gw/").unwrap();
        assert_eq!(
            b.join(&["api", "v1", "keys", "a/b?c#d %"]).unwrap(),
            "https://proxy.example/gw/api/v1/keys/a%2Fb%3Fc%23d%20%25"
        );
        let b = BaseUrl::parse("https://modelgates.ai").unwrap();
        assert_eq!(
            b.join(&["api", "v1"]).unwrap(),
            "https://modelgates.ai/api/v1"
        );
        assert_eq!(b.origin(), "https://modelgates.ai");
    }
}
