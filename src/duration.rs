//! One grammar for a length of time, read by every flag that takes one (`--expires`,
//! `--expiring-within`, `--since`, `--timeout`, `--connect-timeout`, `--max-wait`,
//! `--old expire-in=`) and by a profile's `timeout`, with one list of units in one message.
//!
//! A duration is one or more parts, each a number (a fraction such as `1.5` too) and a unit,
//! optionally separated by white space: `90m`, `1h30m`, `1h 30m`, `1.5h`. It is never signed and
//! always more than zero. Units are read in any case, except that a lone `M` is a month (as it
//! was before this module; `m` is a minute). A month is 30.44 days (2,630,016 s) and a year
//! 365.25 days, as `--expires` has always counted them (the units of the `humantime` crate this
//! grammar replaces, of which it accepts every spelling, plus `mo`). This module imports nothing
//! from the crate: it is a leaf.

use std::fmt;
use std::time::Duration;

/// The units, as every refusal lists them.
pub const UNITS: &str = "units: ns, us, ms, s/sec/second, m/min/minute, h/hr/hour, d/day, \
                         w/wk/week, mo/month (30.44 days), y/yr/year (365.25 days), plurals too; \
                         combine them as in 1h30m";

/// The longest `--max-wait`: no server-requested wait beyond it is ever waited for.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// How [`MAX_WAIT`] is written in messages.
pub const MAX_WAIT_TEXT: &str = "24h";

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Each unit's spellings (lower case; `M` is matched before lowering) and its length in
/// nanoseconds.
const TABLE: [(&[&str], u128); 10] = [
    (&["ns", "nsec", "nanos"], 1),
    (&["us", "usec", "µs"], 1_000),
    (&["ms", "msec", "millis"], 1_000_000),
    (&["s", "sec", "secs", "second", "seconds"], NANOS_PER_SEC),
    (
        &["m", "min", "mins", "minute", "minutes"],
        60 * NANOS_PER_SEC,
    ),
    (&["h", "hr", "hrs", "hour", "hours"], 3_600 * NANOS_PER_SEC),
    (&["d", "day", "days"], 86_400 * NANOS_PER_SEC),
    (
        &["w", "wk", "wks", "week", "weeks"],
        7 * 86_400 * NANOS_PER_SEC,
    ),
    (&["mo", "mos", "month", "months"], 2_630_016 * NANOS_PER_SEC),
    (
        &["y", "yr", "yrs", "year", "years"],
        31_557_600 * NANOS_PER_SEC,
    ),
];

/// Why a text is not a duration. Its message never repeats the text typed (the caller, or clap,
/// shows that), only a unit name of a few letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing but white space.
    Empty,
    /// A leading `-` or `+`.
    Signed,
    /// Something other than a number where a number must start.
    NoNumber,
    /// A number with no unit after it (`30`, `1h30`).
    NoUnit,
    /// A unit not in [`UNITS`]; the name when it is short enough to show.
    UnknownUnit(Option<String>),
    /// A character that belongs to no number and no unit (`1d,2h`, `1.d`).
    BadCharacter,
    /// The whole duration is zero.
    Zero,
    /// More than `u64::MAX` seconds.
    TooLong,
    /// More than the flag's bound (its text, e.g. `24h`).
    Above(&'static str),
}

impl Refusal {
    /// A refusal of the spelling (not of the amount): its message ends with [`UNITS`].
    pub fn is_syntax(&self) -> bool {
        !matches!(self, Refusal::Zero | Refusal::TooLong | Refusal::Above(_))
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            Refusal::Empty => "no duration given".to_string(),
            Refusal::Signed => "a duration has no sign".to_string(),
            Refusal::NoNumber => "a duration starts with a number".to_string(),
            Refusal::NoUnit => "each number needs a unit".to_string(),
            Refusal::UnknownUnit(Some(u)) => format!("unknown unit '{u}'"),
            Refusal::UnknownUnit(None) => "unknown unit".to_string(),
            Refusal::BadCharacter => "a duration holds only numbers and units".to_string(),
            Refusal::Zero => return f.write_str("a duration must be more than zero"),
            Refusal::TooLong => return f.write_str("the duration is too long"),
            Refusal::Above(max) => {
                return write!(
                    f,
                    "more than {max}, the longest this accepts; give {max} or less"
                );
            }
        };
        write!(f, "{what}; {UNITS}")
    }
}

impl std::error::Error for Refusal {}

/// A length of time more than zero in the grammar above.
pub fn parse(s: &str) -> Result<Duration, Refusal> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Refusal::Empty);
    }
    if t.starts_with(['-', '+']) {
        return Err(Refusal::Signed);
    }
    let mut rest = t;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (whole, fraction, after) = number(rest)?;
        let after = after.trim_start();
        let unit_len = after
            .char_indices()
            .find(|(_, c)| !is_unit_char(*c))
            .map_or(after.len(), |(i, _)| i);
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(
                if after.is_empty() || after.starts_with(|c: char| c.is_ascii_digit()) {
                    Refusal::NoUnit
                } else {
                    Refusal::BadCharacter
                },
            );
        }
        let per = unit_nanos(unit).ok_or_else(|| {
            Refusal::UnknownUnit((unit.chars().count() <= 12).then(|| unit.to_string()))
        })?;
        let part = whole
            .checked_mul(per)
            .and_then(|w| {
                fraction.map_or(Some(w), |(num, den)| {
                    num.checked_mul(per)
                        .map(|f| f / den)
                        .and_then(|f| w.checked_add(f))
                })
            })
            .ok_or(Refusal::TooLong)?;
        total = total.checked_add(part).ok_or(Refusal::TooLong)?;
        rest = after.trim_start();
    }
    if total == 0 {
        return Err(Refusal::Zero);
    }
    let secs = u64::try_from(total / NANOS_PER_SEC).map_err(|_| Refusal::TooLong)?;
    let nanos = u32::try_from(total % NANOS_PER_SEC).map_err(|_| Refusal::TooLong)?;
    Ok(Duration::new(secs, nanos))
}

/// [`parse`], at most `max` (written `max_text` in the message).
pub fn at_most(s: &str, max: Duration, max_text: &'static str) -> Result<Duration, Refusal> {
    let d = parse(s)?;
    if d > max {
        return Err(Refusal::Above(max_text));
    }
    Ok(d)
}

/// `--max-wait`: [`parse`], at most [`MAX_WAIT`], so no `Retry-After` can hold a run for years.
pub fn max_wait(s: &str) -> Result<Duration, Refusal> {
    at_most(s, MAX_WAIT, MAX_WAIT_TEXT)
}

/// Unit letters: ASCII letters and the micro sign of `µs`.
fn is_unit_char(c: char) -> bool {
    c.is_ascii_alphabetic() || c == 'µ'
}

/// The number at the start of `s`: its whole part, its fraction as (numerator, denominator)
/// when it has one, and the text after it. Digits past the 18th of a fraction are dropped (far
/// below a nanosecond for any unit).
#[allow(clippy::type_complexity)]
fn number(s: &str) -> Result<(u128, Option<(u128, u128)>, &str), Refusal> {
    let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n = digits(s);
    if n == 0 {
        return Err(if s.starts_with(is_unit_char) {
            Refusal::NoNumber
        } else if s.starts_with(['-', '+']) {
            Refusal::Signed
        } else if s.starts_with('.') {
            Refusal::NoNumber
        } else {
            Refusal::BadCharacter
        });
    }
    let whole = decimal(&s[..n])?;
    let rest = &s[n..];
    let Some(frac) = rest.strip_prefix('.') else {
        return Ok((whole, None, rest));
    };
    let f = digits(frac);
    if f == 0 {
        return Err(Refusal::BadCharacter);
    }
    let kept = &frac[..f.min(18)];
    let den = 10u128.pow(u32::try_from(kept.len()).map_err(|_| Refusal::TooLong)?);
    Ok((whole, Some((decimal(kept)?, den)), &frac[f..]))
}

/// ASCII digits as a number; too many of them is [`Refusal::TooLong`].
fn decimal(digits: &str) -> Result<u128, Refusal> {
    digits.bytes().try_fold(0u128, |n, b| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u128::from(b - b'0')))
            .ok_or(Refusal::TooLong)
    })
}

/// A unit's length in nanoseconds; `M` alone is a month, anything else is read in lower case.
fn unit_nanos(unit: &str) -> Option<u128> {
    let lower = if unit == "M" {
        "mo".to_string()
    } else {
        unit.to_lowercase()
    };
    TABLE
        .iter()
        .find(|(names, _)| names.contains(&lower.as_str()))
        .map(|(_, nanos)| *nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600;
    const D: u64 = 86_400;

    fn secs(s: &str) -> u64 {
        parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}")).as_secs()
    }

    #[test]
    fn every_unit_and_spelling() {
        for (s, want) in [
            ("30s", 30),
            ("30sec", 30),
            ("1second", 1),
            ("2seconds", 2),
            ("90m", 90 * 60),
            ("5min", 300),
            ("1minute", 60),
            ("2 minutes", 120),
            ("12h", 12 * H),
            ("2hr", 2 * H),
            ("1hour", H),
            ("3hours", 3 * H),
            ("30d", 30 * D),
            ("1day", D),
            ("2days", 2 * D),
            ("2w", 14 * D),
            ("1wk", 7 * D),
            ("1week", 7 * D),
            ("2weeks", 14 * D),
            ("1mo", 2_630_016),
            ("1month", 2_630_016),
            ("2months", 2 * 2_630_016),
            ("1M", 2_630_016),
            ("1y", 31_557_600),
            ("1yr", 31_557_600),
            ("1year", 31_557_600),
            ("1h30m", H + 1_800),
            ("1h 30m", H + 1_800),
            ("  1 h  ", H),
            ("1.5h", H + 1_800),
            ("1D", D),
            ("1H", H),
            ("1Mo", 2_630_016),
            ("18446744073709551615s", u64::MAX),
        ] {
            assert_eq!(secs(s), want, "{s:?}");
        }
        assert_eq!(parse("300ms").unwrap(), Duration::from_millis(300));
        assert_eq!(parse("1µs").unwrap(), Duration::from_micros(1));
        assert_eq!(parse("1us").unwrap(), Duration::from_micros(1));
        assert_eq!(parse("7ns").unwrap(), Duration::from_nanos(7));
        assert_eq!(parse("1.25s").unwrap(), Duration::from_millis(1_250));
        assert_eq!(
            parse("1m").unwrap(),
            Duration::from_secs(60),
            "m is a minute"
        );
    }

    #[test]
    fn refusals_say_why_and_list_the_units() {
        for (s, want) in [
            ("", Refusal::Empty),
            ("   ", Refusal::Empty),
            ("-1d", Refusal::Signed),
            ("+1d", Refusal::Signed),
            ("1d-1h", Refusal::Signed),
            ("soon", Refusal::NoNumber),
            ("d", Refusal::NoNumber),
            (".5h", Refusal::NoNumber),
            ("30", Refusal::NoUnit),
            ("1h30", Refusal::NoUnit),
            ("1fortnight", Refusal::UnknownUnit(Some("fortnight".into()))),
            ("30x", Refusal::UnknownUnit(Some("x".into()))),
            ("1abcdefghijklmnopq", Refusal::UnknownUnit(None)),
            ("1d,2h", Refusal::BadCharacter),
            ("1.d", Refusal::BadCharacter),
            ("1,5h", Refusal::BadCharacter),
            ("0s", Refusal::Zero),
            ("0h 0m", Refusal::Zero),
            ("18446744073709551616s", Refusal::TooLong),
            (
                "99999999999999999999999999999999999999999y",
                Refusal::TooLong,
            ),
            ("999999999999999999999y", Refusal::TooLong),
        ] {
            let got = parse(s).unwrap_err();
            assert_eq!(got, want, "{s:?}");
            let msg = got.to_string();
            assert_eq!(msg.ends_with(UNITS), got.is_syntax(), "{s:?}: {msg}");
        }
        assert_eq!(
            parse("1fortnight").unwrap_err().to_string(),
            format!("unknown unit 'fortnight'; {UNITS}")
        );
    }

    /// Every spelling the `humantime` crate accepted (and that is more than zero) reads the
    /// same here: nothing that worked before stops working.
    #[test]
    fn a_superset_of_humantime() {
        let units = [
            "nanos", "nsec", "ns", "usec", "us", "µs", "millis", "msec", "ms", "seconds", "second",
            "secs", "sec", "s", "minutes", "minute", "min", "mins", "m", "hours", "hour", "hr",
            "hrs", "h", "days", "day", "d", "weeks", "week", "wk", "wks", "w", "months", "month",
            "M", "years", "year", "yr", "yrs", "y",
        ];
        let mut checked = 0;
        for n in ["1", "7", "90", "1.5", "0.25", "365"] {
            for u in units {
                for s in [
                    format!("{n}{u}"),
                    format!("{n} {u}"),
                    format!("{n}{u} 30s"),
                    format!("1h{n}{u}"),
                ] {
                    // humantime refuses fractions of a nanosecond (`1.5ns`).
                    if let Ok(old) = humantime::parse_duration(&s) {
                        assert_eq!(parse(&s), Ok(old), "{s:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 800, "{checked}");
    }

    #[test]
    fn max_wait_is_at_most_a_day() {
        assert_eq!(max_wait("24h").unwrap(), MAX_WAIT);
        assert_eq!(max_wait("1d").unwrap(), MAX_WAIT);
        assert_eq!(max_wait("60s").unwrap(), Duration::from_secs(60));
        for over in ["24h1s", "25h", "2d", "1w", "18446744073709551615s"] {
            let e = max_wait(over).unwrap_err();
            assert_eq!(e, Refusal::Above("24h"), "{over}");
            assert!(e.to_string().contains("more than 24h"), "{e}");
        }
        assert_eq!(
            max_wait("1fortnight").unwrap_err(),
            Refusal::UnknownUnit(Some("fortnight".into()))
        );
    }
}
