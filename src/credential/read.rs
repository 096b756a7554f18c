//! Reading a credential file or standard input: all of it up to a bound, refused (never
//! truncated) past it; a file that must be a regular one is opened without a wait.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result, Sent};

/// The most keyctl reads from a credential file or standard input.
pub const MAX_SECRET_FILE: usize = 64 * 1024;

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// More than the bound: nothing was kept.
    TooLarge,
    NotUtf8,
}

/// Reads all of `r` as UTF-8 if it is at most `max` bytes; refuses (never truncates) more.
pub fn read_bounded(r: impl Read, max: usize) -> std::result::Result<String, ReadError> {
    let mut buf = Vec::new();
    r.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() > max {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(buf).map_err(|_| ReadError::NotUtf8)
}

/// Opens a file for reading only when it is a regular file (or a symbolic link to one), and
/// never blocks doing so: the open is non-blocking (a FIFO without a writer would block a plain
/// open forever; O_NOCTTY keeps a terminal from becoming ours), and the type is read from the
/// opened file itself (fstat), so a swap between a check and the open cannot slip a FIFO or a
/// device through. A FIFO, device, folder or socket is an error that says which it is. Used
/// for the config file and for `credential_file`.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    let opened = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
    };
    #[cfg(not(unix))]
    let opened = std::fs::File::open(path);
    let f = match opened {
        Ok(f) => f,
        // A socket cannot be opened at all (ENXIO), nor a terminal device without one: say
        // what is there rather than the system's words.
        Err(e) => {
            return Err(match std::fs::metadata(path) {
                Ok(m) if !m.is_file() => not_regular(&m.file_type()),
                _ => e,
            });
        }
    };
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(not_regular(&m.file_type()));
    }
    // O_NONBLOCK changes nothing for a regular file's reads.
    Ok(f)
}

/// "it is a FIFO (named pipe), not a regular file": what stands at a path that must be a file.
fn not_regular(t: &std::fs::FileType) -> std::io::Error {
    let what = if t.is_dir() {
        "it is a directory, not"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                "it is a FIFO (named pipe), not"
            } else if t.is_char_device() {
                "it is a character device, not"
            } else if t.is_block_device() {
                "it is a block device, not"
            } else if t.is_socket() {
                "it is a socket, not"
            } else {
                "it is not"
            }
        }
        #[cfg(not(unix))]
        {
            "it is not"
        }
    };
    std::io::Error::other(format!(
        "{what} a regular file (keyctl reads only a regular file here, or a symbolic link to \
         one)"
    ))
}

/// Reads a file, or standard input for `-`, up to `max` bytes, on a blocking thread so that a
/// signal (`cancelled` resolving) still stops the run while it waits (e.g. on a pipe that
/// never closes); `regular`: the path must be a regular file ([`open_regular`]: no FIFO,
/// device or folder, and no wait to find out), and `-` is not standard input.
pub async fn read_on_thread(
    path: &Path,
    max: usize,
    regular: bool,
    cancelled: impl std::future::Future<Output = ()>,
) -> Result<std::result::Result<String, ReadError>> {
    let path = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        if regular {
            open_regular(&path)
                .map_err(ReadError::Io)
                .and_then(|f| read_bounded(f, max))
        } else if path == Path::new("-") {
            read_bounded(std::io::stdin().lock(), max)
        } else {
            std::fs::File::open(&path)
                .map_err(ReadError::Io)
                .and_then(|f| read_bounded(f, max))
        }
    });
    tokio::select! {
        r = read => r.map_err(|e| Error::Internal(format!("reading input failed: {e}"))),
        () = cancelled => Err(Error::Interrupted { sent: Sent::Nothing }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented file bound, as a literal: 64 KiB read, so a key padded with blank lines
    /// up to that still works, and one byte more is refused.
    #[test]
    fn credential_files_are_read_up_to_64_kib() {
        let padded = format!("abc123{}", "\n".repeat(65536 - 6));
        assert_eq!(
            read_bounded(padded.as_bytes(), MAX_SECRET_FILE)
                .unwrap()
                .len(),
            65536
        );
        let over = format!("{padded}\n");
        assert!(matches!(
            read_bounded(over.as_bytes(), MAX_SECRET_FILE),
            Err(ReadError::TooLarge)
        ));
    }

    #[test]
    fn bounded_read_refuses_instead_of_truncating() {
        assert_eq!(read_bounded(&b"abc"[..], 3).unwrap(), "abc");
        assert!(matches!(
            read_bounded(&b"abcd"[..], 3),
            Err(ReadError::TooLarge)
        ));
        assert!(matches!(
            read_bounded(std::io::repeat(0).take(1 << 30), 1024),
            Err(ReadError::TooLarge)
        ));
        assert!(matches!(
            read_bounded(&[0xff, 0xfe][..], 3),
            Err(ReadError::NotUtf8)
        ));
    }
}
