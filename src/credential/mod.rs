//! The admin credential: the [`Secret`] type, and the bounded read that credential files and
//! standard input go through.

mod read;
mod secret;

pub use read::{MAX_SECRET_FILE, ReadError, read_bounded};
pub use secret::{MAX_SECRET, Secret};
