//! The one error type of keyctl: every failure class, its exit code (docs/reference.md,
//! "Exit codes") and a message that says what to do next.

use std::time::Duration;

/// Everything that can make a key, or the whole run, fail.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum Error {
    /// Bad value, bad combination, nothing to update, refused URL. Nothing was sent.
    #[error("{0}")]
    Usage(String),

    /// The provider has no way to honour a flag. Nothing was sent.
    #[error("{provider} does not support {flag}: {instead}")]
    Unsupported {
        provider: &'static str,
        flag: String,
        instead: String,
    },

    /// No credential (or an unusable one) was found locally.
    #[error("{0}")]
    Credential(String),

    /// The provider rejected the credential (401, 403).
    #[error("{provider} rejected the credential (HTTP {status}): {message}; check {hint}")]
    Auth {
        provider: &'static str,
        status: u16,
        message: String,
        hint: String,
    },

    /// 404 from the provider (Venice: 400 "API key not found or expired").
    #[error(
        "{provider}: key not found (HTTP {status}): {message}; check the key id and that this admin key owns it"
    )]
    NotFound {
        provider: &'static str,
        status: u16,
        message: String,
    },

    /// A key reference (a name, an id prefix) that no key of the listing answers to. Nothing
    /// was sent.
    #[error("{provider}: {message}")]
    Unresolved {
        provider: &'static str,
        message: String,
    },

    /// 400 / 422 and other 4xx: the provider says the request is invalid.
    #[error("{provider} rejected the request (HTTP {status}): {message}")]
    Rejected {
        provider: &'static str,
        status: u16,
        message: String,
    },

    /// 429 after the retries ran out, or a wait longer than --max-wait.
    #[error("{provider} is rate limiting (HTTP 429): {message}")]
    RateLimited {
        provider: &'static str,
        message: String,
    },

    /// 5xx after retries, a redirect, or a response that cannot be understood.
    #[error("{provider}: {message}")]
    Provider {
        provider: &'static str,
        status: Option<u16>,
        message: String,
    },

    /// Connection refused, DNS failure, reset. `sent`: the request may have left (the
    /// connection broke after it was written), so a write may have been applied.
    #[error("{provider}: network error: {message}; check the base URL and your connection")]
    Network {
        provider: &'static str,
        message: String,
        sent: bool,
    },

    /// The connect or the whole-request timeout fired.
    #[error(
        "{provider}: {} timeout after {} ({flag}); raise {flag} or retry later",
        which.name(),
        humantime::format_duration(*after),
        flag = which.flag()
    )]
    Timeout {
        provider: &'static str,
        which: TimeoutKind,
        after: Duration,
    },

    /// A signal stopped the run while this key's request was pending.
    #[error("{}", interrupted_message(sent))]
    Interrupted { sent: Sent },

    /// A write reached the wire and no answer came: it may have been applied.
    #[error("{cause}; the change may have been applied: check with keyctl get")]
    Unknown { cause: Box<Error> },

    /// A create reached the wire and no usable answer came: a key may exist.
    #[error(
        "{cause}; a key may have been created: check with keyctl list before trying again (a \
         second create could make a second key)"
    )]
    CreateUnknown { cause: Box<Error> },

    /// apply's create reached the wire and no usable answer came: its journal entry stays, and
    /// the next plan or apply adopts the key by name.
    #[error(
        "{cause}; a key may have been created: the next plan or apply finds it by name and \
         adopts it (its secret was never received: rotate it then to get one); do not create it \
         by hand, that could make a second key"
    )]
    ApplyCreateUnknown { cause: Box<Error> },

    /// `rotate` created the successor, but the step on the old key failed.
    #[error(
        "the new key {new}, but the old key {old} could not be {step}: {cause}. The old key \
         may still be active: finish by hand with `{next}`"
    )]
    OldKey {
        /// The new key's id and where its secret went: `ID was created (its secret is on
        /// stdout)`.
        new: String,
        old: String,
        step: String,
        next: String,
        cause: Box<Error>,
    },

    /// `create` or `rotate` made a key, but its secret did not reach where it was to go
    /// (stdout, or the secret file); `rotate` then left the old key as it is.
    #[error("the new key {new} was created, but its secret was not delivered: {why}; {next}")]
    Undelivered {
        new: String,
        why: String,
        next: String,
    },

    /// A key an earlier run's create made, whose answer was lost, found by name (the create
    /// journal) and adopted instead of made again: its secret was never received.
    #[error("{provider}: the key {id} ('{name}') was {why}")]
    Adopted {
        provider: &'static str,
        id: String,
        name: String,
        /// `created by an earlier run (...); its secret was never received: rotate it ...`.
        why: String,
    },

    /// A bug in keyctl.
    #[error("internal error: {0} (this is a bug in keyctl; please report it)")]
    Internal(String),
}

impl Error {
    /// The process exit code for this class of failure (docs/reference.md, "Exit codes").
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Internal(_) | Error::Undelivered { .. } | Error::Adopted { .. } => 1,
            Error::Usage(_) | Error::Unsupported { .. } => 2,
            Error::Credential(_) | Error::Auth { .. } => 3,
            Error::NotFound { .. } | Error::Unresolved { .. } => 4,
            Error::Rejected { .. } => 5,
            Error::RateLimited { .. } => 6,
            Error::Provider { .. } => 7,
            Error::Network { .. } | Error::Timeout { .. } => 8,
            Error::Interrupted { .. } => 130,
            Error::Unknown { cause }
            | Error::CreateUnknown { cause }
            | Error::ApplyCreateUnknown { cause }
            | Error::OldKey { cause, .. } => cause.exit_code(),
        }
    }

    /// A stable machine-readable name for the JSON output's `error.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Usage(_) => "usage",
            Error::Unsupported { .. } => "unsupported",
            Error::Credential(_) => "credential",
            Error::Auth { .. } => "auth",
            Error::NotFound { .. } | Error::Unresolved { .. } => "not_found",
            Error::Rejected { .. } => "invalid_request",
            Error::RateLimited { .. } => "rate_limited",
            Error::Provider { .. } => "provider",
            Error::Network { .. } => "network",
            Error::Timeout { .. } => "timeout",
            Error::Interrupted { .. } => "interrupted",
            Error::Unknown { cause }
            | Error::CreateUnknown { cause }
            | Error::ApplyCreateUnknown { cause }
            | Error::OldKey { cause, .. } => cause.kind(),
            Error::Undelivered { .. } => "undelivered",
            Error::Adopted { .. } => "adopted",
            Error::Internal(_) => "internal",
        }
    }

    /// The HTTP status behind this error, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Auth { status, .. } | Error::Rejected { status, .. } => Some(*status),
            Error::NotFound { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            Error::Provider { status, .. } => *status,
            Error::Unknown { cause }
            | Error::CreateUnknown { cause }
            | Error::ApplyCreateUnknown { cause }
            | Error::OldKey { cause, .. } => cause.http_status(),
            _ => None,
        }
    }

    /// The request may have reached the provider with no answer back (a timeout or a broken
    /// connection after it was written, or a signal that dropped it in flight).
    pub fn maybe_applied(&self) -> bool {
        match self {
            Error::Network { sent, .. } => *sent,
            Error::Timeout { which, .. } => *which == TimeoutKind::Request,
            Error::Interrupted { sent } => *sent == Sent::NoAnswer,
            Error::Unknown { .. }
            | Error::CreateUnknown { .. }
            | Error::ApplyCreateUnknown { .. } => true,
            _ => false,
        }
    }

    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which time limit fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Opening the connection (`--connect-timeout`): nothing was sent.
    Connect,
    /// The whole attempt (`--timeout`): the request may have been sent.
    Request,
}

impl TimeoutKind {
    pub fn name(self) -> &'static str {
        match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Request => "request",
        }
    }

    /// The flag that sets this limit.
    pub fn flag(self) -> &'static str {
        match self {
            TimeoutKind::Connect => "--connect-timeout",
            TimeoutKind::Request => "--timeout",
        }
    }
}

/// How far a key's request got before a signal stopped it (ordered: later is further).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sent {
    /// No attempt started: nothing reached the provider.
    Nothing,
    /// Every attempt got an answer that did not apply the change (e.g. `HTTP 429`).
    Answered(String),
    /// An attempt was on the wire and no answer came.
    NoAnswer,
}

fn interrupted_message(sent: &Sent) -> String {
    match sent {
        Sent::Nothing => "interrupted before the request was sent; nothing was changed".into(),
        Sent::Answered(last) => format!(
            "interrupted while waiting to retry (the last answer was {last}); the provider did not confirm the change"
        ),
        Sent::NoAnswer => {
            "interrupted after a request was sent and before an answer to it came".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract() {
        let p = "Venice";
        let cases = [
            (Error::usage("x"), 2),
            (
                Error::Unsupported {
                    provider: p,
                    flag: "--x".into(),
                    instead: "y".into(),
                },
                2,
            ),
            (Error::Credential("x".into()), 3),
            (
                Error::Auth {
                    provider: p,
                    status: 401,
                    message: "m".into(),
                    hint: "h".into(),
                },
                3,
            ),
            (
                Error::NotFound {
                    provider: p,
                    status: 404,
                    message: "m".into(),
                },
                4,
            ),
            (
                Error::Rejected {
                    provider: p,
                    status: 422,
                    message: "m".into(),
                },
                5,
            ),
            (
                Error::RateLimited {
                    provider: p,
                    message: "m".into(),
                },
                6,
            ),
            (
                Error::Provider {
                    provider: p,
                    status: Some(500),
                    message: "m".into(),
                },
                7,
            ),
            (
                Error::Network {
                    provider: p,
                    message: "m".into(),
                    sent: false,
                },
                8,
            ),
            (Error::Internal("x".into()), 1),
            (
                Error::Interrupted {
                    sent: Sent::Nothing,
                },
                130,
            ),
            (
                Error::Unknown {
                    cause: Box::new(Error::Interrupted {
                        sent: Sent::NoAnswer,
                    }),
                },
                130,
            ),
        ];
        for (e, code) in cases {
            assert_eq!(e.exit_code(), code, "{e:?}");
        }
    }
}
