//! The plain data every layer shares: an HTTP method, how the credential travels, a request as
//! an adapter builds it (without the secret), a response as the HTTP layer hands it back, and
//! the one header builder used both for sending and for showing (`-v`, dry run).

use serde_json::Value;

/// The most of a response body keyctl reads; the rest of a larger one is not read.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// `keyctl/VERSION`, sent as the User-Agent.
pub fn user_agent() -> String {
    format!("keyctl/{}", env!("CARGO_PKG_VERSION"))
}

/// An HTTP method keyctl uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Patch,
    /// Creates a key: not idempotent (a repeat could create a second key).
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Patch => "PATCH",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    /// Sending it twice does what sending it once does (everything but a create), so an
    /// attempt that may have reached the provider can be repeated.
    pub fn is_idempotent(self) -> bool {
        self != Method::Post
    }

    /// A write: one that may have been applied when no answer came back.
    pub fn is_write(self) -> bool {
        self != Method::Get
    }
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

    /// The header value for `credential` (the HTTP layer passes the secret; displays `****`).
    pub fn header_value(self, credential: &str) -> String {
        match self {
            AuthScheme::XApiKey => credential.to_string(),
            AuthScheme::Bearer => format!("Bearer {credential}"),
        }
    }
}

/// What stands for the credential wherever a request is shown.
pub const REDACTED: &str = "****";

/// A request as an adapter builds it: everything but the secret, which the HTTP layer adds.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub auth: AuthScheme,
    pub body: Option<Value>,
    /// The key this request is about (named on every `-v` line), when it is about one.
    pub key: Option<String>,
}

impl Request {
    /// The same request, about `key`.
    pub fn about(mut self, key: &str) -> Request {
        self.key = Some(key.to_string());
        self
    }

    pub fn patch(url: String, auth: AuthScheme, body: Value) -> Request {
        Request {
            method: Method::Patch,
            url,
            auth,
            body: Some(body),
            key: None,
        }
    }

    pub fn get(url: String, auth: AuthScheme) -> Request {
        Request {
            method: Method::Get,
            url,
            auth,
            body: None,
            key: None,
        }
    }

    pub fn post(url: String, auth: AuthScheme, body: Value) -> Request {
        Request {
            method: Method::Post,
            url,
            auth,
            body: Some(body),
            key: None,
        }
    }

    pub fn delete(url: String, auth: AuthScheme) -> Request {
        Request {
            method: Method::Delete,
            url,
            auth,
            body: None,
            key: None,
        }
    }

    /// Every header keyctl sends, in order, with `credential` in the auth header: the HTTP
    /// layer passes the secret, every display passes [`REDACTED`].
    pub fn headers(&self, credential: &str) -> Vec<(&'static str, String)> {
        let mut h = vec![(self.auth.header_name(), self.auth.header_value(credential))];
        if self.body.is_some() {
            h.push(("content-type", "application/json".to_string()));
        }
        h.push(("accept", "application/json".to_string()));
        h.push(("user-agent", user_agent()));
        h
    }

    /// The headers as they are ever shown to a person.
    pub fn redacted_headers(&self) -> Vec<(&'static str, String)> {
        self.headers(REDACTED)
    }
}

/// A response whose status keyctl will interpret (2xx, 4xx, or 5xx after the retries).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The body was larger than [`MAX_BODY`]: `body` is empty and the rest was not read.
    pub too_large: bool,
    /// Set when keyctl stopped retrying because the server asked for a wait over --max-wait.
    pub wait_refused: Option<String>,
    /// An earlier attempt of this request reached the provider and got no answer (a timeout or
    /// a broken connection): a write answered with an error now may still have been applied.
    pub earlier_unanswered: bool,
}

impl Response {
    /// A response as read: `body` whole, nothing refused, no earlier attempt.
    pub fn new(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            body,
            too_large: false,
            wait_refused: None,
            earlier_unanswered: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_header_builder_for_sending_and_showing() {
        let r = Request::patch("https://x/".into(), AuthScheme::Bearer, Value::Null);
        let shown = r.redacted_headers();
        assert_eq!(shown[0], ("authorization", "Bearer ****".to_string()));
        let sent = r.headers("s3cret");
        assert_eq!(sent[0], ("authorization", "Bearer s3cret".to_string()));
        assert_eq!(shown[1..], sent[1..]);
        assert_eq!(
            shown.iter().map(|h| h.0).collect::<Vec<_>>(),
            ["authorization", "content-type", "accept", "user-agent"]
        );
        let g = Request::get("https://x/".into(), AuthScheme::XApiKey);
        assert_eq!(g.redacted_headers()[0], ("x-api-key", "****".to_string()));
        assert_eq!(g.redacted_headers().len(), 3);
        assert!(Method::Patch.is_write() && !Method::Get.is_write());
        assert!(Method::Post.is_write() && Method::Delete.is_write());
        assert!(!Method::Post.is_idempotent());
        assert!(Method::Delete.is_idempotent() && Method::Patch.is_idempotent());
        assert_eq!(
            (Method::Post.as_str(), Method::Delete.as_str()),
            ("POST", "DELETE")
        );
        assert_eq!(
            (Method::Get.as_str(), Method::Patch.as_str()),
            ("GET", "PATCH")
        );
        assert_eq!(shown[3].1, format!("keyctl/{}", env!("CARGO_PKG_VERSION")));
        assert_eq!(MAX_BODY, 8_388_608);
    }
}
