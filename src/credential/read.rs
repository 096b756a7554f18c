//! Reading a credential file or standard input: all of it up to a bound, refused (never
//! truncated) past it.

use std::io::Read;

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
