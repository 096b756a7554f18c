//! Who wrote a run's audit lines: the local user, the host and the command line's arguments,
//! masked and bounded.

use std::sync::OnceLock;

/// The most arguments a line records: the rest are counted in one last element.
pub const MAX_ARGS: usize = 64;

/// The most characters of one argument a line records (a longer one is cut, marked `…`).
pub const MAX_ARG_CHARS: usize = 1024;

/// The longest user or host name a line records, in characters.
const MAX_NAME_CHARS: usize = 255;

/// Starts of key secrets (as `provider::refuse_secret_id` knows them): an argument, or the
/// value of `--flag=VALUE`, that starts with one is a pasted secret and recorded as `****`.
const SECRET_STARTS: [&str; 5] = [
    "sk-or-",
    "VENICE_ADMIN_KEY_",
    "VENICE_INFERENCE_KEY_",
    "io-v2-",
    "eyJ",
];

/// Who wrote a run's lines: the local user, the host and the command line, found once a run.
#[derive(Debug)]
pub struct Who {
    pub(super) user: String,
    pub(super) host: Option<String>,
    /// The arguments as given (bounded), masked when first recorded (see [`Who::argv`]).
    raw: Vec<String>,
    argv: OnceLock<Vec<String>>,
}

impl Who {
    /// This process's user, host and arguments.
    pub(super) fn of_this_run() -> Who {
        Who::new(
            local_user(),
            local_host(),
            std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned()),
        )
    }

    /// The arguments after the program's name (it is recorded as `keyctl`, without its path),
    /// at most [`MAX_ARGS`] of them.
    pub(super) fn new(
        user: String,
        host: Option<String>,
        args: impl Iterator<Item = String>,
    ) -> Who {
        let mut raw = vec!["keyctl".to_string()];
        let mut more = 0usize;
        for a in args {
            if raw.len() < MAX_ARGS {
                raw.push(a);
            } else {
                more += 1;
            }
        }
        if more > 0 {
            raw.push(format!("… ({more} more argument(s) not recorded)"));
        }
        Who {
            user,
            host,
            raw,
            argv: OnceLock::new(),
        }
    }

    /// The arguments, each masked and cut to [`MAX_ARG_CHARS`]: masked when the first line is
    /// written, once the run's credential is registered.
    pub(super) fn argv(&self) -> &[String] {
        self.argv
            .get_or_init(|| self.raw.iter().map(|a| mask_arg(a)).collect())
    }
}

/// One argument as a line records it: `****` for one that holds the credential (or a near
/// copy of it) or starts like a key's secret (also after `--flag=`); else sanitised, with
/// registered secrets and tokens shaped like a key's secret masked, cut to [`MAX_ARG_CHARS`].
fn mask_arg(a: &str) -> String {
    use crate::mask::MASK;
    if crate::mask::holds_credential(a) {
        return MASK.to_string();
    }
    let clean = crate::text::sanitize(a);
    let (flag, value) = match clean.split_once('=') {
        Some((f, v)) if f.starts_with("--") => (Some(f), v),
        _ => (None, clean.as_str()),
    };
    let masked = if SECRET_STARTS.iter().any(|p| value.trim().starts_with(p)) {
        MASK.to_string()
    } else {
        crate::mask::mask_key_like(value).into_owned()
    };
    let whole = match flag {
        Some(f) => format!("{f}={masked}"),
        None => masked,
    };
    crate::visible::cut(&whole, MAX_ARG_CHARS)
}

/// The local user: the passwd name of the real user id, else `$USER` or `$LOGNAME`, else the
/// number; sanitised and bounded.
fn local_user() -> String {
    let name = passwd_name()
        .or_else(|| {
            ["USER", "LOGNAME"].iter().find_map(|v| {
                std::env::var_os(v)
                    .map(|u| u.to_string_lossy().trim().to_string())
                    .filter(|u| !u.is_empty())
            })
        })
        .unwrap_or_else(uid_text);
    crate::visible::cut(&crate::text::sanitize(&name), MAX_NAME_CHARS)
}

#[cfg(unix)]
fn uid_text() -> String {
    // SAFETY: getuid(2) takes no arguments, always succeeds and touches no memory.
    unsafe { libc::getuid() }.to_string()
}

#[cfg(not(unix))]
fn uid_text() -> String {
    "unknown".into()
}

/// The passwd entry's name of the real user id (getpwuid_r), if there is one.
#[cfg(unix)]
fn passwd_name() -> Option<String> {
    // SAFETY: getuid(2) takes no arguments, always succeeds and touches no memory.
    let uid = unsafe { libc::getuid() };
    let mut len = 1024usize;
    loop {
        let mut buf: Vec<libc::c_char> = vec![0; len];
        // SAFETY: passwd is plain data (integers and pointers), for which all zeroes is valid.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is to live memory of the given size; getpwuid_r writes the
        // entry's strings into `buf` and points `pwd`'s fields (and `found`) into it.
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
        if rc == libc::ERANGE && len < 1 << 20 {
            len *= 4;
            continue;
        }
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name points to a NUL-terminated string inside `buf`, which is
        // alive here.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        let name = name.to_string_lossy().into_owned();
        return Some(name).filter(|n| !n.is_empty());
    }
}

#[cfg(not(unix))]
fn passwd_name() -> Option<String> {
    None
}

/// The host's name (gethostname, at most 255 bytes), sanitised; None when it cannot be read.
#[cfg(unix)]
fn local_host() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is live and its length is passed; gethostname writes at most that
    // many bytes (one fewer is left for the NUL below).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len() - 1);
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
    Some(crate::visible::cut(
        &crate::text::sanitize(&name),
        MAX_NAME_CHARS,
    ))
    .filter(|n| !n.is_empty())
}

#[cfg(not(unix))]
fn local_host() -> Option<String> {
    std::env::var("COMPUTERNAME").ok().filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_masked_and_bounded() {
        assert_eq!(mask_arg("--limit"), "--limit");
        assert_eq!(mask_arg("ci-agent-08"), "ci-agent-08");
        let hex = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943";
        assert_eq!(mask_arg(hex), hex);
        // Pasted secrets, whole or after --flag=, and key-like tokens inside an argument.
        // (This token is the test's own: a secret another test registers in the process-wide
        // masking registry would be masked by `sanitize` before `mask_key_like` sees it.)
        assert_eq!(mask_arg("sk-or-v1-short"), "****");
        assert_eq!(mask_arg("--name=VENICE_ADMIN_KEY_abc"), "--name=****");
        assert_eq!(
            mask_arg("old sk-or-v1-9209dcb468e07e032fd0db161b56bb9a2f5fe5 key"),
            "old **** key"
        );
        assert_eq!(mask_arg("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"), "****");
        // Controls dropped; a long argument cut.
        assert_eq!(mask_arg("a\u{1b}[31mb"), "ab");
        let long = mask_arg(&"x".repeat(5000));
        assert_eq!(long.chars().count(), MAX_ARG_CHARS + 1);
        assert!(long.ends_with('…'));
        // At most MAX_ARGS arguments, the rest counted.
        let who = Who::new("u".into(), None, (0..100).map(|i| format!("a{i}")));
        let argv = who.argv();
        assert_eq!(argv.len(), MAX_ARGS + 1);
        assert_eq!(argv[0], "keyctl");
        assert_eq!(argv[MAX_ARGS - 1], "a62");
        assert_eq!(argv[MAX_ARGS], "… (37 more argument(s) not recorded)");
    }
}
