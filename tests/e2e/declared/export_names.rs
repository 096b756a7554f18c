//! `keyctl export` leaves out a key whose name holds a piece of the admin credential: written
//! masked, the name would match no key, so a plan would create a second key under the masked
//! name and `apply --prune` would revoke the real one.

use serde_json::json;

use crate::common::{Keyctl, SECRET, gates_listing, server};

#[tokio::test]
async fn a_key_named_with_a_piece_of_the_credential_is_left_out_with_a_warning() {
    assert!(SECRET.contains("TOPSECRET-4f9a"));
    let s = server().await;
    gates_listing(
        &s,
        vec![
            json!({"hash": "e100000000000000000000000000000000000000000000000000000000000001",
                   "name": "team-TOPSECRET-4f9a", "disabled": false, "limit": 5,
                   "limit_remaining": 5, "usage": 0, "created_at": "2026-11-23T10:00:00Z"}),
            json!({"hash": "e100000000000000000000000000000000000000000000000000000000000002",
                   "name": "ci-plain", "disabled": false, "limit": 5,
                   "limit_remaining": 5, "usage": 0, "created_at": "2026-11-23T10:00:00Z"}),
        ],
    )
    .await;
    let out = Keyctl::new("MODELGATES_MANAGEMENT_KEY", &["export", "-p", "modelgates"])
        .base(&s)
        .run()
        .await;
    out.code(0).stdout_has("name = \"ci-plain\"").stderr_has(
        "key e100000000000000000000000000000000000000000000000000000000000001 left out: \
             its name holds a piece of the admin credential, which keyctl never writes out \
             (rename it: keyctl update -p modelgates ID --name NEW)",
    );
    assert_eq!(out.stdout.matches("[[key]]").count(), 1, "{}", out.stdout);
    assert!(!out.stdout.contains("team-"), "{}", out.stdout);
    assert!(!out.stderr.contains("TOPSECRET"), "{}", out.stderr);
}
