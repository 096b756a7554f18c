//! Unit tests of the credential module's readers: which variables are masked, whether a
//! source is present, and what `read` gives for a variable, a file, an empty file and a
//! credential command (its key, its failure with the end of its standard error).

use std::path::Path;
use std::sync::Mutex;

use super::*;

/// The secrets `register` was handed, in order (only the tests below register).
static REGISTERED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record(s: &Secret) {
    REGISTERED.lock().unwrap().push(s.expose().to_string());
}

const MASKING: Masking = Masking {
    register: record,
    shown: |s, _| s.to_string(),
    looks_like_key: |w| w.starts_with("sk-"),
};

const OWNER: Owner<'static> = Owner {
    provider: "OpenRouter",
    own_var: "",
};

/// A variable that is surely not set.
const UNSET: &str = "CREDENTIAL_TEST_VARIABLE_NEVER_SET_4711";

/// HOME, when it is set to something a credential could be (no space, ASCII).
fn home() -> Option<String> {
    std::env::var("HOME")
        .ok()
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
}

#[test]
fn set_variables_gives_the_values_of_the_set_variables_only() {
    assert!(set_variables(["", UNSET]).is_empty());
    if let Some(h) = home() {
        let got = set_variables(["", "HOME", UNSET]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].expose(), h);
    }
}

#[test]
fn a_source_is_present_when_its_variable_is_set_or_its_file_holds_something() {
    assert_eq!(Source::Env(UNSET.into()).present(), Some(false));
    if home().is_some() {
        assert_eq!(Source::Env("HOME".into()).present(), Some(true));
    }
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("key");
    std::fs::write(&full, "sk-or-v1-abc").unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(Source::File(full).present(), Some(true));
    assert_eq!(Source::File(empty).present(), Some(false));
    assert_eq!(
        Source::File(dir.path().join("missing")).present(),
        Some(false)
    );
    assert_eq!(
        Source::File(dir.path().to_path_buf()).present(),
        Some(false)
    );
    // Standard input and a command are not read to find out.
    assert_eq!(Source::File("-".into()).present(), None);
    assert_eq!(Source::Command(vec!["pass".into()]).present(), None);
}

#[test]
fn a_source_is_shown_by_kind_and_name() {
    assert_eq!(Source::Env("OR_KEY".into()).to_string(), "env OR_KEY");
    assert_eq!(Source::File("/k/or".into()).to_string(), "file /k/or");
    assert_eq!(
        Source::Command(vec!["pass".into(), "show".into(), "or".into()]).to_string(),
        "command pass show or"
    );
}

#[tokio::test]
async fn a_credential_file_is_read_trimmed_and_registered_for_masking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    std::fs::write(&path, "  sk-file-read-7f3a\n").unwrap();
    let source = Source::File(path.clone());
    let got = read(OWNER, None, &source, std::future::pending(), MASKING)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.expose(), "sk-file-read-7f3a");
    assert!(
        REGISTERED
            .lock()
            .unwrap()
            .iter()
            .any(|s| s == "sk-file-read-7f3a")
    );
    // The same file named by --api-key-file.
    let other = Source::Env(UNSET.into());
    let got = read(OWNER, Some(&path), &other, std::future::pending(), MASKING)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.expose(), "sk-file-read-7f3a");
}

#[tokio::test]
async fn an_unset_variable_is_no_credential_and_an_empty_file_is_an_error() {
    let unset = Source::Env(UNSET.into());
    assert!(
        read(OWNER, None, &unset, std::future::pending(), MASKING)
            .await
            .unwrap()
            .is_none()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty");
    std::fs::write(&path, "\n").unwrap();
    let e = read(
        OWNER,
        None,
        &Source::File(path.clone()),
        std::future::pending(),
        MASKING,
    )
    .await
    .unwrap_err();
    assert_eq!(e.exit_code(), 3);
    assert!(
        e.to_string()
            .contains("is empty; put the OpenRouter admin key in it"),
        "{e}"
    );
    // A folder where a credential_file must be a regular file.
    let e = read(
        OWNER,
        None,
        &Source::File(dir.path().to_path_buf()),
        std::future::pending(),
        MASKING,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("it is a directory"), "{e}");
}

#[tokio::test]
async fn read_on_thread_gives_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    std::fs::write(&path, "abc\ndef\n").unwrap();
    for regular in [true, false] {
        let got = read_on_thread(&path, 100, regular, std::future::pending())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, "abc\ndef\n");
    }
    let r = read_on_thread(Path::new(&path), 3, true, std::future::pending())
        .await
        .unwrap();
    assert!(matches!(r, Err(ReadError::TooLarge)));
}

fn command(script: &str) -> Source {
    Source::Command(vec!["sh".into(), "-c".into(), script.into()])
}

async fn run(script: &str) -> crate::error::Result<Option<Secret>> {
    read(
        OWNER,
        None,
        &command(script),
        std::future::pending(),
        MASKING,
    )
    .await
}

#[tokio::test]
async fn a_credential_command_gives_its_trimmed_output_registered_for_masking() {
    let got = run("printf ' sk-from-command-9z \\n'; echo noise >&2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.expose(), "sk-from-command-9z");
    assert!(
        REGISTERED
            .lock()
            .unwrap()
            .iter()
            .any(|s| s == "sk-from-command-9z")
    );
}

#[tokio::test]
async fn a_failed_credential_command_shows_its_exit_status_and_standard_error() {
    let e = run("echo first line >&2; echo token sk-leak1 rejected >&2; exit 4")
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), 3);
    let text = e.to_string();
    assert!(
        text.contains("failed (exit status 4): first line token **** rejected"),
        "{text}"
    );
    // The key-like word in its standard error is hidden (the command line is the caller's).
    assert!(text.ends_with(": first line token **** rejected"), "{text}");
    let e = run("echo the vault is locked >&2").await.unwrap_err();
    assert!(
        e.to_string()
            .contains("printed nothing (exit status 0); its standard error: the vault is locked"),
        "{e}"
    );
    let e = read(
        OWNER,
        None,
        &Source::Command(Vec::new()),
        std::future::pending(),
        MASKING,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("is empty"), "{e}");
}
