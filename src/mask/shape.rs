//! Whether a text given in the wrong place looks like a key (a variable name, a profile or
//! provider name, a workspace id), and how such a value is shown in a message: never echoed.

use crate::credential::SECRET_PREFIXES;

/// A name that is more likely a key than a variable: longer than 64 characters, or with a
/// 16-character stretch between underscores mixing letters and digits (`VENICE_ADMIN_KEY_` and a
/// random tail is a valid variable name, and a Venice admin key).
pub fn looks_like_key(name: &str) -> bool {
    let has = |s: &str, f: fn(&char) -> bool| s.chars().any(|c| f(&c));
    name.len() > 64
        || SECRET_PREFIXES.iter().any(|k| {
            name.strip_prefix(k.start)
                .is_some_and(|rest| rest.len() >= 12 && has(rest, char::is_ascii_lowercase))
        })
        || name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|part| {
                // Random text mixes letters with digits, or both cases; words do not.
                part.len() >= 16
                    && has(part, char::is_ascii_alphabetic)
                    && (has(part, char::is_ascii_digit)
                        || (has(part, char::is_ascii_lowercase)
                            && has(part, char::is_ascii_uppercase)))
            })
}

/// A value for a message: cut to 40 characters, and not shown at all when it looks like a
/// key (a key pasted in the wrong place must not be printed back).
pub fn shown(v: &str) -> String {
    if looks_like_key(v) {
        "(the value given, not shown: it looks like a key)".into()
    } else {
        crate::visible::cut(&crate::visible::strip_controls(&super::mask(v)), 40)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_not_shown_back() {
        assert!(looks_like_key("ABCDEFGHIJKLMNO1"));
        assert!(!looks_like_key("ABCDEFGHIJKLMN1"));
        assert!(looks_like_key(
            "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"
        ));
        assert!(!looks_like_key("MODELGATES_MANAGEMENT_KEY"));
        assert_eq!(shown("prod"), "prod");
        assert!(!shown("sk-or-v1-0e6f44a47a05f1dad2ad7e88c4c1d6b7").contains("0e6f44"));
    }
}
