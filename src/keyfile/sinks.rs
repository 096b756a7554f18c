//! Whether a declared key's sink can take a new secret, checked by the plan (and so by apply,
//! before anything is sent) without creating anything: a `secret_file`'s folder exists and is
//! writable and the file does not exist yet; a `secret_command`'s program is found and
//! executable. And when two `secret_file`s are one file however each is written.

use std::path::{Component, Path, PathBuf};

use super::{KeyFile, Sink};
use crate::error::{Error, Result};
use crate::text::sanitize;

/// The file `path` names, written one way: `.` and `name/..` taken out, and its folder
/// resolved through links when it exists (`s.key`, `./s.key` and `dir/../s.key` are one).
pub fn same_file(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    let name = out.file_name().map(|n| n.to_os_string());
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match (std::fs::canonicalize(&dir), name) {
        (Ok(d), Some(n)) => d.join(n),
        _ => out,
    }
}

/// Why `sink` cannot take a secret now, or `Ok`: nothing is created or run.
pub fn check_sink(sink: &Sink) -> std::result::Result<(), String> {
    match sink {
        Sink::File(path) => check_file(path),
        Sink::Command(argv) => crate::sink::SecretCommand::prepare(argv, "", &[])
            .map(|_| ())
            .map_err(|e| {
                let msg = e.to_string();
                let msg = msg.trim_start();
                msg.strip_suffix("; nothing was created")
                    .unwrap_or(msg)
                    .to_string()
            }),
    }
}

fn check_file(path: &Path) -> std::result::Result<(), String> {
    let shown = sanitize(&path.display().to_string());
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(format!(
            "{shown} already exists; keyctl never overwrites a file that may hold a secret: \
             remove it or choose a new path"
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir_shown = sanitize(&dir.display().to_string());
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{shown}: the folder {dir_shown} does not exist; create it first (keyctl does \
                 not create folders)"
            ));
        }
        Err(e) => return Err(format!("{shown}: cannot read the folder {dir_shown} ({e})")),
        Ok(m) if !m.is_dir() => return Err(format!("{shown}: {dir_shown} is not a folder")),
        Ok(_) => {}
    }
    if !writable(dir) {
        return Err(format!(
            "{shown}: the folder {dir_shown} is not writable by this user; choose another \
             path or fix its permissions"
        ));
    }
    Ok(())
}

#[cfg(unix)]
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
}

/// Every sink of the keys at `lines` (the `[[key]]` lines of the keys a plan creates or
/// replaces) checked: exit 2 naming each that cannot take its secret at `FILE:LINE`.
pub fn check_sinks(file: &KeyFile, lines: impl IntoIterator<Item = usize>) -> Result<()> {
    let mut problems = Vec::new();
    for line in lines {
        let Some(key) = file.keys.iter().find(|k| k.line == line) else {
            continue;
        };
        let Some(sink) = &key.sink else {
            continue;
        };
        if let Err(why) = check_sink(sink) {
            let field = match sink {
                Sink::File(_) => "secret_file",
                Sink::Command(_) => "secret_command",
            };
            problems.push(format!(
                "{}:{}: {field}: {why}",
                file.path.display(),
                key.sink_line.unwrap_or(key.line)
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let n = problems.len();
    let mut msg = problems.join("\nerror: ");
    msg.push_str(&format!(
        "\nerror: {n} secret destination{} cannot take a new secret; nothing was sent",
        if n == 1 { "" } else { "s" }
    ));
    Err(Error::usage(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_written_two_ways_is_one() {
        assert_eq!(
            same_file(Path::new("s.key")),
            same_file(Path::new("./s.key"))
        );
        assert_eq!(
            same_file(Path::new("a/../s.key")),
            same_file(Path::new("s.key"))
        );
        assert_ne!(same_file(Path::new("s.key")), same_file(Path::new("t.key")));
    }
}
