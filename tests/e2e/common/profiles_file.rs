//! For runs over a config file's profiles: a second credential, a profile's lines, a loopback
//! URL nothing listens on, TSV cells.

use crate::common::Out;

/// A second credential (for a second profile); it holds "TOPSECRET", so the harness's scan
/// fails the test if it is ever printed.
pub(crate) const SECOND: &str = "sk-or-v1-TOPSECRET-second-9c8b7a6d";

/// A loopback base URL nothing listens on (a port bound then released).
pub(crate) fn closed_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// The TSV rows (header first) split into cells.
pub(crate) fn cells(out: &Out) -> Vec<Vec<String>> {
    out.stdout
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// A profile table.
pub(crate) fn profile(name: &str, provider: &str, base: &str, credential: &str) -> String {
    format!("[profiles.{name}]\nprovider = \"{provider}\"\nbase_url = \"{base}\"\n{credential}\n\n")
}
