//! The provider registry: which providers exist, their base URLs and credentials, the pure
//! request type every adapter builds, and the one exhaustive dispatch onto the adapters.

pub mod gates;
pub mod ionet;
pub mod venice;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::patch::Patch;

/// The providers keyctl speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    Ionet,
    ModelGates,
    Novapai,
    Venice,
}

/// How the admin credential travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `x-api-key: SECRET`
    XApiKey,
    /// `Authorization: Bearer SECRET`
    Bearer,
}

impl AuthScheme {
    pub fn header_name(self) -> &'static str {
        match self {
            AuthScheme::XApiKey => "x-api-key",
            AuthScheme::Bearer => "authorization",
        }
    }

    /// The header value with the secret in place (only the HTTP layer calls this).
    pub fn header_value(self, secret: &str) -> String {
        match self {
            AuthScheme::XApiKey => secret.to_string(),
            AuthScheme::Bearer => format!("Bearer {secret}"),
        }
    }

    /// The header value as it is ever shown to a person.
    pub fn redacted_value(self) -> &'static str {
        match self {
            AuthScheme::XApiKey => "****",
            AuthScheme::Bearer => "Bearer ****",
        }
    }
}

pub const ALL: [ProviderKind; 4] = [
    ProviderKind::Ionet,
    ProviderKind::ModelGates,
    ProviderKind::Novapai,
    ProviderKind::Venice,
];

impl ProviderKind {
    pub fn id(self) -> &'static str {
        match self {
            ProviderKind::Ionet => "ionet",
            ProviderKind::ModelGates => "modelgates",
            ProviderKind::Novapai => "novapai",
            ProviderKind::Venice => "venice",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            ProviderKind::Ionet => "io.net",
            ProviderKind::ModelGates => "ModelGates",
            ProviderKind::Novapai => "novapai",
            ProviderKind::Venice => "Venice",
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::Ionet => "https://api.intelligence.io.solutions",
            ProviderKind::ModelGates => "https://modelgates.ai",
            ProviderKind::Novapai => "https://novapai.ai",
            ProviderKind::Venice => "https://api.venice.ai",
        }
    }

    /// The environment variable holding the admin credential.
    pub fn credential_env(self) -> &'static str {
        match self {
            ProviderKind::Ionet => "IONET_ADMIN_KEY",
            ProviderKind::ModelGates => "MODELGATES_MANAGEMENT_KEY",
            ProviderKind::Novapai => "NOVAPAI_MANAGEMENT_KEY",
            ProviderKind::Venice => "VENICE_ADMIN_KEY",
        }
    }

    /// The environment variable that overrides the base URL.
    pub fn base_url_env(self) -> String {
        format!("KEYCTL_{}_BASE_URL", self.id().to_ascii_uppercase())
    }

    pub fn auth(self) -> AuthScheme {
        match self {
            ProviderKind::Ionet => AuthScheme::XApiKey,
            _ => AuthScheme::Bearer,
        }
    }

    /// Builds the update request for one key: pure, no I/O, no secret.
    pub fn build_update(self, base: &BaseUrl, key: &str, patch: &Patch) -> Result<Request> {
        match self {
            ProviderKind::Ionet => ionet::build_update(base, key, patch),
            ProviderKind::ModelGates | ProviderKind::Novapai => {
                gates::build_update(self, base, key, patch)
            }
            ProviderKind::Venice => venice::build_update(base, key, patch),
        }
    }

    /// Reads a 2xx answer to an update into the key's state.
    pub fn parse_update(self, key: &str, sent: &Value, body: &[u8]) -> Result<KeyView> {
        match self {
            ProviderKind::Ionet => ionet::parse_update(key, sent, body),
            ProviderKind::ModelGates | ProviderKind::Novapai => gates::parse_update(self, body),
            ProviderKind::Venice => venice::parse_update(body),
        }
    }

    /// The single-key read: `GET` the key (io.net: its usage endpoint; the list has the rest).
    pub fn build_get(self, base: &BaseUrl, key: &str) -> Result<Request> {
        match self {
            ProviderKind::Ionet => ionet::build_usage(base, key),
            ProviderKind::ModelGates | ProviderKind::Novapai => gates::build_get(self, base, key),
            ProviderKind::Venice => venice::build_get(base, key),
        }
    }

    /// One page of the key list; `offset` is used only by paginated providers.
    pub fn build_list(
        self,
        base: &BaseUrl,
        offset: usize,
        include_disabled: bool,
    ) -> Result<Request> {
        match self {
            ProviderKind::Ionet => ionet::build_list(base),
            ProviderKind::ModelGates | ProviderKind::Novapai => {
                gates::build_list(base, offset, include_disabled)
            }
            ProviderKind::Venice => venice::build_list(base),
        }
    }

    /// Page size of a paginated list (read until a page is short); None: one request.
    pub fn page_size(self) -> Option<usize> {
        match self {
            ProviderKind::ModelGates | ProviderKind::Novapai => Some(gates::PAGE),
            _ => None,
        }
    }

    pub fn parse_get(self, key: &str, body: &[u8]) -> Result<KeyView> {
        match self {
            ProviderKind::Ionet => ionet::parse_usage(key, body),
            ProviderKind::ModelGates | ProviderKind::Novapai => gates::parse_update(self, body),
            ProviderKind::Venice => venice::parse_update(body),
        }
    }

    pub fn parse_list(self, body: &[u8]) -> Result<Vec<KeyView>> {
        match self {
            ProviderKind::Ionet => ionet::parse_list(body),
            ProviderKind::ModelGates | ProviderKind::Novapai => gates::parse_list(self, body),
            ProviderKind::Venice => venice::parse_list(body),
        }
    }

    /// Whether a change must read the key first to be built (besides a relative limit, which
    /// every provider reads for): Venice sends all currencies of `consumptionLimit` together.
    pub fn needs_current(self, patch: &Patch, relative: bool) -> bool {
        match self {
            ProviderKind::Venice => venice::needs_current(patch, relative),
            ProviderKind::Ionet | ProviderKind::ModelGates | ProviderKind::Novapai => false,
        }
    }

    /// Completes `patch` from the key's current state (`needs_current`).
    pub fn merge_current(self, before: &KeyView, patch: &mut Patch) -> Result<()> {
        match self {
            ProviderKind::Venice => venice::keep_other_currencies(before, patch),
            ProviderKind::Ionet | ProviderKind::ModelGates | ProviderKind::Novapai => Ok(()),
        }
    }

    /// Warnings to show before sending (deprecated fields).
    pub fn warnings(self, patch: &Patch) -> Vec<String> {
        match self {
            ProviderKind::Venice => venice::warnings(patch),
            _ => Vec::new(),
        }
    }

    /// The error for a non-2xx answer: the provider's own message when its body has the
    /// documented shape, else the status and a short sanitized snippet of the body.
    pub fn error_for(self, resp: &crate::http::Response) -> Error {
        let status = resp.status;
        let parsed: Option<Value> = serde_json::from_slice(&resp.body).ok();
        let mut message = match parsed.as_ref().and_then(|v| self.error_message(v)) {
            Some(m) => crate::output::server_text(&m),
            None if resp.too_large => format!(
                "HTTP {status}, with a body larger than {} MiB that keyctl did not read",
                crate::http::MAX_BODY / 1024 / 1024
            ),
            None => format!(
                "HTTP {status}{}: {}",
                reqwest::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default(),
                crate::output::snippet(&resp.body)
            ),
        };
        if let Some(w) = &resp.wait_refused {
            message = format!("{message}; {w}");
        }
        let provider = self.display_name();
        match status {
            401 | 403 => Error::Auth {
                provider,
                status,
                message,
                hint: format!("{} (or the --api-key-file)", self.credential_env()),
            },
            404 => Error::NotFound { provider, message },
            429 => Error::RateLimited { provider, message },
            400..=499 => Error::Rejected {
                provider,
                status,
                message,
            },
            _ => Error::Provider {
                provider,
                status: Some(status),
                message: format!("provider failure (HTTP {status}): {message}"),
            },
        }
    }

    /// The provider's own error message from an error body, when it has its documented shape.
    pub fn error_message(self, body: &Value) -> Option<String> {
        match self {
            ProviderKind::Ionet => ionet::error_message(body),
            ProviderKind::ModelGates | ProviderKind::Novapai => gates::error_message(body),
            ProviderKind::Venice => venice::error_message(body),
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

impl FromStr for ProviderKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ionet" | "io.net" => Ok(ProviderKind::Ionet),
            "modelgates" => Ok(ProviderKind::ModelGates),
            "novapai" => Ok(ProviderKind::Novapai),
            "venice" => Ok(ProviderKind::Venice),
            other => Err(format!(
                "unknown provider '{other}'; choose one of ionet (alias io.net), modelgates, novapai, venice"
            )),
        }
    }
}

/// A checked base URL: https, or http on a loopback host; no credentials, query or fragment.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseUrl(reqwest::Url);

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
                    crate::output::sanitize(other)
                )));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::usage(format!("base URL '{shown}' has no host")));
        }
        Ok(BaseUrl(url))
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
    crate::output::sanitize(&shown)
}

/// Checks a key id that goes into a URL path as one segment.
pub fn check_path_key(provider: ProviderKind, key: &str) -> Result<()> {
    if key.trim().is_empty() {
        return Err(Error::usage(format!("{provider}: the key id is empty")));
    }
    if key == "." || key == ".." {
        return Err(Error::usage(format!("{provider}: '{key}' is not a key id")));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::usage(format!(
            "{provider}: the key id contains control characters"
        )));
    }
    Ok(())
}

/// An HTTP method keyctl uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Patch => "PATCH",
        }
    }
}

/// A request as an adapter builds it: everything but the secret, which the HTTP layer adds.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub auth: AuthScheme,
    pub body: Option<Value>,
}

impl Request {
    pub fn patch(url: String, auth: AuthScheme, body: Value) -> Request {
        Request {
            method: Method::Patch,
            url,
            auth,
            body: Some(body),
        }
    }

    pub fn get(url: String, auth: AuthScheme) -> Request {
        Request {
            method: Method::Get,
            url,
            auth,
            body: None,
        }
    }

    /// Every header keyctl sends, with the credential shown as `****`.
    pub fn redacted_headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![(
            self.auth.header_name(),
            self.auth.redacted_value().to_string(),
        )];
        if self.body.is_some() {
            h.push(("content-type", "application/json".to_string()));
        }
        h.push(("accept", "application/json".to_string()));
        h.push(("user-agent", crate::http::user_agent()));
        h
    }
}

/// A key as keyctl shows it, normalized across providers; `raw` keeps the provider's object.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct KeyView {
    pub id: Option<String>,
    pub name: Option<String>,
    pub disabled: Option<bool>,
    pub limit: Option<Value>,
    pub remaining: Option<Value>,
    pub usage: Option<Value>,
    pub reset: Option<String>,
    pub expires: Option<String>,
    pub models: Option<Vec<String>>,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub raw: Value,
}

impl KeyView {
    /// Fills the fields this view lacks from `other` (io.net: usage + list entry).
    pub fn fill_from(&mut self, other: KeyView) {
        let KeyView {
            id,
            name,
            disabled,
            limit,
            remaining,
            usage,
            reset,
            expires,
            models,
            created,
            updated,
            raw,
        } = other;
        self.id = self.id.take().or(id);
        self.name = self.name.take().or(name);
        self.disabled = self.disabled.or(disabled);
        self.limit = self.limit.take().or(limit);
        self.remaining = self.remaining.take().or(remaining);
        self.usage = self.usage.take().or(usage);
        self.reset = self.reset.take().or(reset);
        self.expires = self.expires.take().or(expires);
        self.models = self.models.take().or(models);
        self.created = self.created.take().or(created);
        self.updated = self.updated.take().or(updated);
        if self.raw.is_null() {
            self.raw = raw;
        } else if let (Some(a), Value::Object(b)) = (self.raw.as_object_mut(), raw) {
            for (k, v) in b {
                a.entry(k).or_insert(v);
            }
        }
    }

    /// The USD (or io.net credit) limit as a number, when the key has one.
    pub fn limit_amount(&self) -> Option<f64> {
        let v = match self.limit.as_ref()? {
            Value::Object(o) => o.get("usd")?,
            v => v,
        };
        match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok().filter(|f: &f64| f.is_finite()),
            _ => None,
        }
    }
}

/// Parses a success body as JSON, or says the response cannot be understood (exit 7).
pub fn parse_json(provider: ProviderKind, body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| Error::Provider {
        provider: provider.display_name(),
        status: None,
        message: format!(
            "the success response is not valid JSON ({e}): {}",
            crate::output::snippet(body)
        ),
    })
}

/// A `{"data": [...]}` list answer: each object in `data` through `view`.
pub fn data_list(
    p: ProviderKind,
    body: &[u8],
    view: fn(&Value) -> KeyView,
) -> Result<Vec<KeyView>> {
    let v = parse_json(p, body)?;
    let items = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| unexpected_shape(p, "no `data` list", body))?;
    Ok(items.iter().filter(|i| i.is_object()).map(view).collect())
}

/// An allow-list as shown: `[]` means every model.
pub fn models_field(v: &Value, name: &str) -> Option<Vec<String>> {
    v.get(name).and_then(Value::as_array).map(|a| {
        if a.is_empty() {
            vec!["all".to_string()]
        } else {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        }
    })
}

/// The error for a success response that lacks the documented shape.
pub fn unexpected_shape(provider: ProviderKind, what: &str, body: &[u8]) -> Error {
    Error::Provider {
        provider: provider.display_name(),
        status: None,
        message: format!(
            "unexpected success response ({what}). Body: {}",
            crate::output::snippet(body)
        ),
    }
}

/// A string field of a JSON object, if it is a string.
pub fn str_field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

/// A field kept as JSON when it is a number or a numeric string (some APIs send "12.5").
pub fn num_field(v: &Value, name: &str) -> Option<Value> {
    match v.get(name)? {
        Value::Number(n) => Some(Value::Number(n.clone())),
        Value::String(s) if s.parse::<f64>().is_ok_and(f64::is_finite) => {
            Some(Value::String(s.clone()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_ids_and_alias() {
        assert_eq!(
            "io.net".parse::<ProviderKind>().unwrap(),
            ProviderKind::Ionet
        );
        assert_eq!(
            "IONET".parse::<ProviderKind>().unwrap(),
            ProviderKind::Ionet
        );
        assert!("openai".parse::<ProviderKind>().is_err());
        for p in ALL {
            assert_eq!(p.id().parse::<ProviderKind>().unwrap(), p);
        }
        assert_eq!(
            ProviderKind::Venice.base_url_env(),
            "KEYCTL_VENICE_BASE_URL"
        );
    }

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

    #[test]
    fn dot_keys_are_refused() {
        for k in ["", " ", ".", "..", "a\nb"] {
            assert!(
                check_path_key(ProviderKind::ModelGates, k).is_err(),
                "{k:?}"
            );
        }
    }
}
