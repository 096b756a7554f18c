//! Output: the JSON model, whole-run snapshots, a stdout that cannot be written, secrets kept out of errors, completions and the man page.

mod id_wrapping;
pub(crate) mod json_model;
mod key_like_values;
mod man_page;
mod masking;
mod profile_output;
mod secrets_in_errors;
mod shell_docs;
mod snapshots;
mod stdout_errors;
