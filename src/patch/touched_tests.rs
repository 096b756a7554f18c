//! Unit tests of what a change touches: each flag's field alone in `touched`, a change with any
//! one field set is not empty, and the names of key types as shown.

use super::*;

/// One change per field, each setting only that field, with the field's name.
fn one_field_changes() -> Vec<(&'static str, Patch)> {
    let amount = || "5".parse::<Amount>().unwrap();
    let p = Patch::default;
    vec![
        (
            "name",
            Patch {
                name: Some("ci".into()),
                ..p()
            },
        ),
        (
            "disabled",
            Patch {
                disabled: Some(true),
                ..p()
            },
        ),
        (
            "limit",
            Patch {
                limit: Change::Set(amount()),
                ..p()
            },
        ),
        (
            "limits.diem",
            Patch {
                limit_diem: Change::Set(amount()),
                ..p()
            },
        ),
        (
            "limits.vcu",
            Patch {
                limit_vcu: Change::Clear,
                ..p()
            },
        ),
        (
            "reset",
            Patch {
                reset: Some(Reset::Daily),
                ..p()
            },
        ),
        (
            "expires",
            Patch {
                expires: Change::Clear,
                ..p()
            },
        ),
        (
            "models",
            Patch {
                models: Change::Clear,
                ..p()
            },
        ),
        (
            "include_byok_in_limit",
            Patch {
                include_byok_in_limit: Some(false),
                ..p()
            },
        ),
        (
            "privacy",
            Patch {
                privacy: Some(Privacy::All),
                ..p()
            },
        ),
    ]
}

#[test]
fn a_change_touches_exactly_the_fields_it_sets() {
    assert!(Patch::default().touched().is_empty());
    for (field, patch) in one_field_changes() {
        assert_eq!(patch.touched(), vec![field]);
    }
}

#[test]
fn a_change_that_sets_any_one_field_is_not_empty() {
    assert!(Patch::default().is_empty());
    for (field, patch) in one_field_changes() {
        assert!(!patch.is_empty(), "{field}");
    }
}

#[test]
fn key_types_are_shown_by_their_flag_word() {
    assert_eq!(KeyType::Inference.as_str(), "inference");
    assert_eq!(KeyType::Admin.as_str(), "admin");
}
