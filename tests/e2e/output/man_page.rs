//! The man page passes groff and documents the environment, the files and the exit status.

use crate::common::Keyctl;
use crate::common::profile_servers::have;

/// Found by the operator review of profiles.
#[tokio::test]
async fn the_man_page_passes_groff_and_documents_environment_files_and_exit_status() {
    let out = Keyctl::bare(&["man"]).run().await;
    out.code(0);
    assert_eq!(out.stderr, "");
    let page = out.stdout.clone();

    if have("groff") {
        use std::io::Write;
        let mut child = std::process::Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let res = child.wait_with_output().unwrap();
        assert!(res.status.success(), "groff failed: {res:?}");
        assert_eq!(String::from_utf8_lossy(&res.stderr), "", "groff warned");
    } else {
        eprintln!("skipped the groff check: groff is not installed");
    }

    // The sections, in order, and what each must mention.
    let section = |name: &str| -> String {
        let start = page
            .find(&format!("\n.SH {name}\n"))
            .unwrap_or_else(|| panic!("no section {name}:\n{page}"));
        let rest = &page[start + 1..];
        let end = rest[4..].find("\n.SH ").map_or(rest.len(), |e| e + 4);
        rest[..end].to_string()
    };
    let env = section("ENVIRONMENT");
    for v in ["KEYCTL_CONFIG", "KEYCTL_AUDIT", "KEYCTL_PROFILE"] {
        assert!(env.contains(v), "ENVIRONMENT lacks {v}:\n{env}");
    }
    let files = section("FILES");
    assert!(files.contains("audit.jsonl"), "{files}");
    assert!(files.contains("config.toml"), "{files}");
    let exit = section("\"EXIT STATUS\"");
    assert!(exit.contains("\\fB9\\fR"), "{exit}");
    assert!(exit.contains("keyctl check"), "{exit}");
    for code in ["0", "2", "3", "8"] {
        assert!(exit.contains(&format!("\\fB{code}\\fR")), "{code}: {exit}");
    }
}
