//! The names `rotate` gives: the successor's (the old key's exact name) and the retired
//! key's, with ` (rotated out YYYY-MM-DD)` appended; and whether a name carries that suffix.

use chrono::NaiveDate;

/// What `rotate` appends to a retired key's name: ` (rotated out YYYY-MM-DD)` (UTC date).
const ROTATED_OUT: &str = " (rotated out ";

/// `name` without a trailing ` (rotated out YYYY-MM-DD)`, and whether it had one (a real date,
/// the suffix whole, at the very end).
pub fn without_rotated_out(name: &str) -> (&str, bool) {
    match name.rfind(ROTATED_OUT) {
        Some(i) => {
            let date = &name[i + ROTATED_OUT.len()..];
            match date.strip_suffix(')') {
                Some(d) if d.len() == 10 && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() => {
                    (&name[..i], true)
                }
                _ => (name, false),
            }
        }
        None => (name, false),
    }
}

/// Whether `name` ends with the suffix `rotate` gives the key it retires (also in the form cut
/// to Venice's 64 characters, where the old name is cut and the suffix kept whole).
pub fn is_rotated_out(name: &str) -> bool {
    without_rotated_out(name).1
}

/// A successor's name: the old key's exact name, so scripts that select keys by name keep
/// finding it (an old name that is itself a retired key's, ` (rotated out DATE)`, loses that
/// suffix); `key` when the old key has no name.
pub fn successor_name(old: Option<&str>) -> String {
    let base = old.map_or("", |n| without_rotated_out(n).0);
    if base.trim().is_empty() {
        "key".to_string()
    } else {
        base.to_string()
    }
}

/// The name `rotate` gives the key it retires: the old name (without an earlier
/// ` (rotated out …)` suffix) plus ` (rotated out YYYY-MM-DD)`, the old name cut so the whole
/// fits in `max` characters when there is a cap (Venice: 64); the suffix is kept whole.
pub fn rotated_out_name(old: Option<&str>, today: NaiveDate, max: Option<usize>) -> String {
    let suffix = format!("{ROTATED_OUT}{})", today.format("%Y-%m-%d"));
    let base = successor_name(old);
    let base = base.trim_end();
    let base: String = match max {
        Some(max) => base
            .chars()
            .take(max.saturating_sub(suffix.chars().count()))
            .collect(),
        None => base.to_string(),
    };
    format!("{}{suffix}", base.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_names() {
        // The old name exactly; a retired key's suffix is not carried over.
        assert_eq!(successor_name(Some("ci-runner")), "ci-runner");
        assert_eq!(successor_name(Some(" ci  runner ")), " ci  runner ");
        assert_eq!(
            successor_name(Some("ci-runner (rotated out 2026-10-01)")),
            "ci-runner"
        );
        // An older version's ` (rotated DATE)` is part of the name now.
        assert_eq!(
            successor_name(Some("ci (rotated 2026-10-01)")),
            "ci (rotated 2026-10-01)"
        );
        assert_eq!(successor_name(None), "key");
        assert_eq!(successor_name(Some("  ")), "key");
    }

    #[test]
    fn rotated_out_names() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(
            rotated_out_name(Some("ci-runner"), today, None),
            "ci-runner (rotated out 2026-11-23)"
        );
        // An earlier suffix is replaced, not stacked.
        assert_eq!(
            rotated_out_name(Some("ci-runner (rotated out 2026-10-01)"), today, None),
            "ci-runner (rotated out 2026-11-23)"
        );
        assert_eq!(
            rotated_out_name(None, today, None),
            "key (rotated out 2026-11-23)"
        );
        // Only a suffix with a date is a suffix.
        assert_eq!(
            rotated_out_name(Some("a (rotated out x)"), today, None),
            "a (rotated out x) (rotated out 2026-11-23)"
        );
        let long = "é".repeat(80);
        let n = rotated_out_name(Some(&long), today, Some(64));
        assert_eq!(n.chars().count(), 64);
        assert!(n.ends_with(" (rotated out 2026-11-23)"));
        assert!(is_rotated_out(&n));
        // A short name is not cut.
        assert_eq!(
            rotated_out_name(Some("app"), today, Some(64)),
            "app (rotated out 2026-11-23)"
        );
    }

    #[test]
    fn rotated_out_is_the_whole_suffix_at_the_end() {
        for yes in [
            "ci (rotated out 2026-11-23)",
            " (rotated out 2026-11-23)",
            "x (rotated out 2026-02-28)",
        ] {
            assert!(is_rotated_out(yes), "{yes}");
        }
        for no in [
            "ci",
            "ci (rotated 2026-11-23)",
            "ci (rotated out 2026-11-23) b",
            "ci (rotated out 2026-11-23",
            "ci (rotated out 2026-13-01)",
            "ci (rotated out 26-11-23)",
            "ci (rotated out 2026-11-23))",
            "ci (Rotated Out 2026-11-23)",
            "",
        ] {
            assert!(!is_rotated_out(no), "{no}");
        }
    }
}
