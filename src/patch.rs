//! The normalized change that `keyctl update` applies: value newtypes parsed from flags
//! (`Amount`, `Reset`, `ExpirySpec`, `ModelList`), the three-state `Change<T>`, and the one place
//! where cross-flag rules ("nothing to update") are resolved into a `Patch`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// What an update does to one field. An omitted flag is `Keep` (the field is not sent); `Clear`
/// removes the value (for example ModelGates' `limit: null`), `Set` writes a new one.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

impl<T> Change<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Change::Keep)
    }
}

/// A non-negative decimal amount (USD, DIEM, VCU, io.net credits), exact: it is sent with the
/// digits the user typed (`12.50` stays `12.50`), and `+N` arithmetic is decimal, not binary.
#[derive(Debug, Clone, PartialEq)]
pub struct Amount(Decimal);

impl Amount {
    pub fn value(&self) -> Decimal {
        self.0
    }

    /// The JSON number to send: the decimal's own digits (serde_json keeps them exactly).
    pub fn to_json(&self) -> serde_json::Value {
        decimal_json(self.0)
    }

    pub fn zero() -> Amount {
        Amount(Decimal::ZERO)
    }

    /// An amount that is already known to be >= 0.
    pub fn new(d: Decimal) -> Option<Amount> {
        (!d.is_sign_negative() || d.is_zero()).then_some(Amount(d))
    }

    /// A number read from a provider, kept with its digits, if it is >= 0.
    pub fn from_number(n: &serde_json::Number) -> Option<Amount> {
        decimal_of_number(n).and_then(Amount::new)
    }
}

/// A decimal as a JSON number with exactly its digits (never an exponent).
pub fn decimal_json(d: Decimal) -> serde_json::Value {
    match d.to_string().parse::<serde_json::Number>() {
        Ok(n) => serde_json::Value::Number(n),
        Err(_) => serde_json::Value::Null,
    }
}

/// A JSON number as a decimal (exponent forms included); None when out of range.
pub fn decimal_of_number(n: &serde_json::Number) -> Option<Decimal> {
    decimal_of_str(&n.to_string())
}

/// A decimal written as `12.5`, `-3`, `1e3` or `1.5E-2`; None when out of range or not a number.
pub fn decimal_of_str(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    if t.contains(['e', 'E']) {
        Decimal::from_scientific(t).ok()
    } else {
        Decimal::from_str_exact(t).ok()
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Amount {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("an amount is required (a plain decimal such as 50 or 12.5)".into());
        }
        if t.starts_with('-') {
            return Err(format!(
                "'{t}' is negative; amounts must be 0 or more (a plain decimal such as 50 or 12.5)"
            ));
        }
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits_ok = !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && !(t.contains('.') && frac.is_empty());
        if !digits_ok {
            return Err(format!(
                "'{t}' is not a plain decimal number (expected something like 50 or 12.5)"
            ));
        }
        // Over 28 significant digits is more than any provider's cap (and than rust_decimal).
        let v = Decimal::from_str_exact(t).map_err(|_| {
            format!(
                "'{t}' has more than 28 significant digits (or is too large) to be kept exactly"
            )
        })?;
        Ok(Amount(v))
    }
}

/// `--limit-diem` / `--limit-vcu`: an amount, or `none` for no cap in that currency.
#[derive(Debug, Clone, PartialEq)]
pub enum CurrencyLimit {
    None,
    Amount(Amount),
}

impl FromStr for CurrencyLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("none") {
            return Ok(CurrencyLimit::None);
        }
        s.parse().map(CurrencyLimit::Amount)
    }
}

impl CurrencyLimit {
    pub fn change(this: Option<CurrencyLimit>) -> Change<Amount> {
        match this {
            None => Change::Keep,
            Some(CurrencyLimit::None) => Change::Clear,
            Some(CurrencyLimit::Amount(a)) => Change::Set(a),
        }
    }
}

/// `--limit`: an amount, `none` (remove the cap), or a change of the current limit.
#[derive(Debug, Clone, PartialEq)]
pub enum LimitArg {
    None,
    Amount(Amount),
    /// `+N` or `-N`: the current limit plus this signed delta.
    Relative(Decimal),
}

impl FromStr for LimitArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("none") {
            return Ok(LimitArg::None);
        }
        if let Some(rest) = t.strip_prefix('+') {
            return rest
                .parse::<Amount>()
                .map(|a| LimitArg::Relative(a.value()));
        }
        if let Some(rest) = t.strip_prefix('-') {
            return rest
                .parse::<Amount>()
                .map(|a| LimitArg::Relative(-a.value()));
        }
        t.parse().map(LimitArg::Amount)
    }
}

/// A relative limit change, resolved against the key's current limit (decimal arithmetic).
#[derive(Debug, Clone, PartialEq)]
pub struct Relative {
    pub delta: Decimal,
    pub max: Option<Amount>,
}

/// What a relative change does to one key.
#[derive(Debug, Clone, PartialEq)]
pub enum RelativeOutcome {
    Set(Amount),
    /// Already at or over the cap: nothing is sent.
    AtCap {
        current: Decimal,
        cap: Decimal,
    },
}

impl Relative {
    pub fn apply(&self, current: Decimal) -> Result<RelativeOutcome> {
        let mut new = current
            .checked_add(self.delta)
            .ok_or_else(|| Error::usage("--limit: the resulting limit is out of range"))?;
        // rust_decimal keeps 28 significant digits and rounds beyond them: a sum it rounded is
        // refused, not sent with digits lost.
        if new.checked_sub(self.delta) != Some(current) {
            return Err(Error::usage(format!(
                "--limit {}: the current limit {current} plus it needs more than 28 significant \
                 digits; set the limit with --limit N",
                signed(self.delta)
            )));
        }
        if let Some(max) = &self.max {
            let cap = max.value();
            if !self.delta.is_sign_negative() && current >= cap {
                return Ok(RelativeOutcome::AtCap { current, cap });
            }
            new = new.min(cap);
        }
        if new.is_sign_negative() && !new.is_zero() {
            return Err(Error::usage(format!(
                "--limit {}: the current limit {current} would become {new}, below 0",
                signed(self.delta)
            )));
        }
        Amount::new(new.normalize())
            .map(RelativeOutcome::Set)
            .ok_or_else(|| Error::usage("--limit: the resulting limit is out of range"))
    }
}

/// A delta as typed: `+25`, `-10.5`.
pub fn signed(d: Decimal) -> String {
    if d.is_sign_negative() {
        d.to_string()
    } else {
        format!("+{d}")
    }
}

/// `--reset`: when the spending counter goes back to zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Reset {
    /// Every 8 hours (io.net only)
    #[value(name = "8h")]
    EightHours,
    /// Every day at midnight UTC
    Daily,
    /// Every week, Monday to Sunday (not Venice)
    Weekly,
    /// Every calendar month, UTC
    Monthly,
    /// Never: the limit is a lifetime cap
    Never,
}

impl Reset {
    pub fn as_str(self) -> &'static str {
        match self {
            Reset::EightHours => "8h",
            Reset::Daily => "daily",
            Reset::Weekly => "weekly",
            Reset::Monthly => "monthly",
            Reset::Never => "never",
        }
    }
}

/// `--expires` as typed; resolved against the clock by [`ExpirySpec::resolve`].
#[derive(Debug, Clone, PartialEq)]
pub enum ExpirySpec {
    Never,
    At(DateTime<Utc>),
    In(Duration),
}

impl FromStr for ExpirySpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("never") {
            return Ok(ExpirySpec::Never);
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Ok(ExpirySpec::At(dt.with_timezone(&Utc)));
        }
        if let Some(dt) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
        {
            return Ok(ExpirySpec::At(dt.and_utc()));
        }
        match crate::duration::parse(t) {
            Ok(d) => Ok(ExpirySpec::In(d)),
            Err(crate::duration::Refusal::Zero) => Err(format!(
                "'{t}' is a zero duration; the key would expire now"
            )),
            Err(e) if e.is_syntax() => Err(format!(
                "'{t}' is not a valid expiry: use an RFC 3339 timestamp (2026-12-31T23:59:59Z), \
                 a date (2026-12-31), 'never', or a duration from now (90m, 12h, 30d, 2w): {e}"
            )),
            Err(e) => Err(format!("'{t}': {e}")),
        }
    }
}

impl ExpirySpec {
    /// The moment this spec names, given the current time; a moment that is not in the future
    /// is a usage error.
    pub fn resolve(&self, now: DateTime<Utc>) -> Result<Change<DateTime<Utc>>> {
        let at = match self {
            ExpirySpec::Never => return Ok(Change::Clear),
            ExpirySpec::At(at) => *at,
            ExpirySpec::In(d) => {
                let d = chrono::Duration::from_std(*d)
                    .map_err(|_| Error::usage("--expires: the duration is too long"))?;
                let at = now
                    .checked_add_signed(d)
                    .ok_or_else(|| Error::usage("--expires: the duration is too long"))?;
                // Whole seconds: what is sent is what --dry-run shows.
                at.with_nanosecond_zero()
            }
        };
        if chrono::Datelike::year(&at) > 9999 {
            return Err(Error::usage(
                "--expires: that is after the year 9999, which RFC 3339 cannot write; give an earlier moment or 'never'",
            ));
        }
        if at <= now {
            return Err(Error::usage(format!(
                "--expires: {} is in the past; give a future moment, a duration such as 30d, or 'never'",
                rfc3339(&at)
            )));
        }
        Ok(Change::Set(at))
    }
}

trait NanoZero {
    fn with_nanosecond_zero(self) -> Self;
}

impl NanoZero for DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// A timestamp as every provider receives it: RFC 3339, UTC, `Z`.
pub fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `--models`: a list of model names, or `all` / empty for "no restriction".
#[derive(Debug, Clone, PartialEq)]
pub enum ModelList {
    All,
    Only(Vec<String>),
}

impl FromStr for ModelList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("all") {
            return Ok(ModelList::All);
        }
        let mut out: Vec<String> = Vec::new();
        for (i, item) in t.split(',').enumerate() {
            let item = item.trim();
            if item.is_empty() {
                return Err(format!(
                    "model #{} in '{t}' is empty; separate model names with single commas",
                    i + 1
                ));
            }
            if item.chars().any(char::is_control) {
                return Err("model names cannot contain control characters".into());
            }
            if !out.iter().any(|m| m == item) {
                out.push(item.to_string());
            }
        }
        Ok(ModelList::Only(out))
    }
}

/// `--name`: a non-empty display name without control characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Name(pub String);

impl FromStr for Name {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("the name cannot be empty".into());
        }
        if s.chars().any(char::is_control) {
            return Err("the name cannot contain control characters".into());
        }
        Ok(Name(s.to_string()))
    }
}

/// A Venice key's type (`--type`, Venice's `apiKeyType`), fixed when the key is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyType {
    /// Calls inference endpoints only (INFERENCE)
    Inference,
    /// Full access, key management included (ADMIN)
    Admin,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Inference => "inference",
            KeyType::Admin => "admin",
        }
    }
}

/// Which models a Venice key may use, by their privacy (`--privacy`, Venice's `modelPrivacy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Privacy {
    /// Every model (ALL)
    All,
    /// Private models for text, any model otherwise (PRIVATE_TEXT)
    PrivateText,
    /// Private models only (PRIVATE_ONLY)
    PrivateOnly,
}

impl Privacy {
    /// The flag's word, as typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Privacy::All => "all",
            Privacy::PrivateText => "private-text",
            Privacy::PrivateOnly => "private-only",
        }
    }
}

/// The normalized change every provider adapter maps onto its own request body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patch {
    pub limit: Change<Amount>,
    pub reset: Option<Reset>,
    pub expires: Change<DateTime<Utc>>,
    pub models: Change<Vec<String>>,
    pub name: Option<String>,
    pub disabled: Option<bool>,
    pub include_byok_in_limit: Option<bool>,
    pub limit_diem: Change<Amount>,
    pub limit_vcu: Change<Amount>,
    pub privacy: Option<Privacy>,
}

impl Patch {
    /// The fields of the key model this change sets (`key::CHANGE_FIELDS` names).
    pub fn touched(&self) -> Vec<&'static str> {
        let Patch {
            limit,
            reset,
            expires,
            models,
            name,
            disabled,
            include_byok_in_limit,
            limit_diem,
            limit_vcu,
            privacy,
        } = self;
        [
            ("name", name.is_some()),
            ("disabled", disabled.is_some()),
            ("limit", !limit.is_keep()),
            ("limits.diem", !limit_diem.is_keep()),
            ("limits.vcu", !limit_vcu.is_keep()),
            ("reset", reset.is_some()),
            ("expires", !expires.is_keep()),
            ("models", !models.is_keep()),
            ("include_byok_in_limit", include_byok_in_limit.is_some()),
            ("privacy", privacy.is_some()),
        ]
        .into_iter()
        .filter_map(|(f, set)| set.then_some(f))
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        let Patch {
            limit,
            reset,
            expires,
            models,
            name,
            disabled,
            include_byok_in_limit,
            limit_diem,
            limit_vcu,
            privacy,
        } = self;
        limit.is_keep()
            && reset.is_none()
            && expires.is_keep()
            && models.is_keep()
            && name.is_none()
            && disabled.is_none()
            && include_byok_in_limit.is_none()
            && limit_diem.is_keep()
            && limit_vcu.is_keep()
            && privacy.is_none()
    }

    /// This patch with every field `over` sets replaced by `over`'s.
    pub fn overlay(mut self, over: &Patch) -> Patch {
        let Patch {
            limit,
            reset,
            expires,
            models,
            name,
            disabled,
            include_byok_in_limit,
            limit_diem,
            limit_vcu,
            privacy,
        } = over.clone();
        fn pick<T>(mine: &mut Change<T>, theirs: Change<T>) {
            if !theirs.is_keep() {
                *mine = theirs;
            }
        }
        pick(&mut self.limit, limit);
        pick(&mut self.expires, expires);
        pick(&mut self.models, models);
        pick(&mut self.limit_diem, limit_diem);
        pick(&mut self.limit_vcu, limit_vcu);
        self.reset = reset.or(self.reset);
        self.name = name.or(self.name);
        self.disabled = disabled.or(self.disabled);
        self.include_byok_in_limit = include_byok_in_limit.or(self.include_byok_in_limit);
        self.privacy = privacy.or(self.privacy);
        self
    }
}

#[cfg(test)]
mod touched_tests;

#[cfg(test)]
mod decimal_length_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    #[test]
    fn amounts_are_plain_non_negative_decimals() {
        assert_eq!(
            "50".parse::<Amount>().unwrap().to_json(),
            serde_json::json!(50)
        );
        assert_eq!(
            "12.5".parse::<Amount>().unwrap().to_json(),
            serde_json::json!(12.5)
        );
        assert_eq!(
            "0".parse::<Amount>().unwrap().to_json(),
            serde_json::json!(0)
        );
        // The digits as typed: 50.0 is sent as 50.0.
        assert_eq!(
            "50.0".parse::<Amount>().unwrap().to_json().to_string(),
            "50.0"
        );
        for bad in [
            "", " ", "-1", "-0.5", "NaN", "nan", "inf", "-inf", "infinity", "abc", "1e3", "1.",
            ".5", "1.2.3", "0x10", "+5", "5 5", "1e400",
        ] {
            assert!(bad.parse::<Amount>().is_err(), "{bad:?} should be refused");
        }
        assert!("1".repeat(400).parse::<Amount>().is_err());
    }

    #[test]
    fn limit_accepts_none() {
        assert_eq!("none".parse::<LimitArg>().unwrap(), LimitArg::None);
        assert!(matches!(
            "7".parse::<LimitArg>().unwrap(),
            LimitArg::Amount(_)
        ));
    }

    #[test]
    fn relative_limits() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            "+25".parse::<LimitArg>().unwrap(),
            LimitArg::Relative(d("25"))
        );
        assert_eq!(
            "-10".parse::<LimitArg>().unwrap(),
            LimitArg::Relative(d("-10"))
        );
        assert!("+".parse::<LimitArg>().is_err());
        assert!("--5".parse::<LimitArg>().is_err());
        let r = |delta: &str, max: Option<&str>| Relative {
            delta: d(delta),
            max: max.map(|m| m.parse().unwrap()),
        };
        let set = |s: &str| RelativeOutcome::Set(s.parse().unwrap());
        assert_eq!(r("25", None).apply(d("40")).unwrap(), set("65"));
        assert_eq!(r("25", Some("50")).apply(d("40")).unwrap(), set("50"));
        assert_eq!(
            r("25", Some("50")).apply(d("50")).unwrap(),
            RelativeOutcome::AtCap {
                current: d("50"),
                cap: d("50")
            }
        );
        assert_eq!(r("-10", None).apply(d("12.5")).unwrap(), set("2.5"));
        // Lowering a key that is over the cap is not "at the cap": it is set (capped).
        assert_eq!(r("-10", Some("50")).apply(d("70")).unwrap(), set("50"));
        assert_eq!(r("-10", Some("50")).apply(d("55")).unwrap(), set("45"));
        // Decimal arithmetic: 0.1 + 0.2 is 0.3, and 10.1 + 0.2 is 10.3 (binary floats say
        // 10.299999999999999).
        assert_eq!(r("0.1", None).apply(d("0.2")).unwrap(), set("0.3"));
        let RelativeOutcome::Set(a) = r("0.2", None).apply(d("10.1")).unwrap() else {
            panic!("set expected")
        };
        assert_eq!(a.to_json().to_string(), "10.3");
        assert_eq!(r("-10", None).apply(d("5")).unwrap_err().exit_code(), 2);
        // A sum that would lose digits is refused.
        let fine = d("1.0000000000000000000000000001");
        assert_eq!(r("10", None).apply(fine).unwrap_err().exit_code(), 2);
        assert_eq!(
            r("-0.5", None).apply(Decimal::MAX).unwrap_err().exit_code(),
            2
        );
        assert_eq!(signed(d("25")), "+25");
        assert_eq!(signed(d("-2.5")), "-2.5");
    }

    #[test]
    fn amounts_are_sent_with_the_digits_typed() {
        for (typed, sent) in [
            ("12.50", "12.50"),
            ("75", "75"),
            ("0.1", "0.1"),
            ("100000000000000000000000", "100000000000000000000000"),
            ("007", "7"),
        ] {
            let a: Amount = typed.parse().unwrap();
            assert_eq!(a.to_json().to_string(), sent, "{typed}");
        }
    }

    #[test]
    fn expiry_forms() {
        let n = now();
        let r = |s: &str| s.parse::<ExpirySpec>().unwrap().resolve(n).unwrap();
        let at = |s: &str| Change::Set(DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        assert_eq!(r("2027-01-02"), at("2027-01-02T00:00:00Z"));
        assert_eq!(r("2027-01-02T10:00:00+02:00"), at("2027-01-02T08:00:00Z"));
        assert_eq!(r("30d"), at("2026-12-23T12:00:00Z"));
        assert_eq!(r("2w"), at("2026-12-07T12:00:00Z"));
        assert_eq!(r("90m"), at("2026-11-23T13:30:00Z"));
        assert_eq!(r("12h"), at("2026-11-24T00:00:00Z"));
        assert_eq!(r("never"), Change::Clear);
        assert_eq!(
            rfc3339(
                &DateTime::parse_from_rfc3339("2027-01-02T08:00:00Z")
                    .unwrap()
                    .to_utc()
            ),
            "2027-01-02T08:00:00Z"
        );
    }

    #[test]
    fn expiry_refuses_past_and_garbage() {
        let n = now();
        for past in ["2020-01-01", "2026-11-23T11:59:59Z", "2026-11-23T12:00:00Z"] {
            let e = past.parse::<ExpirySpec>().unwrap().resolve(n).unwrap_err();
            assert!(e.to_string().contains("in the past"), "{e}");
        }
        for bad in [
            "",
            "tomorrow",
            "2026-13-01",
            "31/12/2026",
            "0d",
            "-5d",
            "30x",
            "soon",
        ] {
            assert!(
                bad.parse::<ExpirySpec>().is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn models_are_trimmed_deduplicated_and_non_empty() {
        assert_eq!(
            " a , b,a ".parse::<ModelList>().unwrap(),
            ModelList::Only(vec!["a".into(), "b".into()])
        );
        assert_eq!("all".parse::<ModelList>().unwrap(), ModelList::All);
        assert_eq!("".parse::<ModelList>().unwrap(), ModelList::All);
        assert!("a,,b".parse::<ModelList>().is_err());
        assert!("a,".parse::<ModelList>().is_err());
        assert!(", ".parse::<ModelList>().is_err());
    }

    #[test]
    fn names_must_be_printable() {
        assert!("".parse::<Name>().is_err());
        assert!("  ".parse::<Name>().is_err());
        assert!("a\nb".parse::<Name>().is_err());
        assert_eq!("prod key".parse::<Name>().unwrap().0, "prod key");
    }
}
