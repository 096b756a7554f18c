//! The check criteria's flag values: `--usage-over` ([`UsageOver`]: a percent or an amount)
//! and `--remaining-under` ([`parse_remaining_under`]), refused with what to write instead.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::patch::Amount;

/// The largest percent `--usage-over` takes.
pub const MAX_PERCENT: u32 = 1000;

/// `--usage-over`: a share of the key's limit (`80%`) or an amount in the key's unit (`40`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageOver {
    /// Percent of the limit, 0 to [`MAX_PERCENT`] (`80` for `80%`).
    Percent(Decimal),
    /// An amount >= 0 in the key's unit (USD, or credits on io.net).
    Amount(Decimal),
}

/// What `--usage-over` accepts, for the end of every refusal.
const USAGE_FORMS: &str = "write a percent of the key's limit such as 80% (or 0.5%), or an \
                           amount in the key's unit (USD, or credits on io.net) such as 40 or 40.25";

impl FromStr for UsageOver {
    type Err = String;

    /// `80%`, `80 %`, `0.5%` (percent of the limit), `40`, `40.25` (an amount). Refuses an empty
    /// value, a negative one, anything but a plain decimal, a percent over 1000, and an amount
    /// between 0 and 1 (`0.9`: a fraction meant as 90%, most likely).
    fn from_str(s: &str) -> Result<UsageOver, String> {
        let t = s.trim();
        let (number, percent) = match t.strip_suffix('%') {
            Some(n) => (n.trim_end(), true),
            None => (t, false),
        };
        let shown = crate::text::truncate(t, 40);
        if number.is_empty() {
            return Err(format!("--usage-over needs a number; {USAGE_FORMS}"));
        }
        if number.starts_with('-') {
            return Err(format!(
                "--usage-over '{shown}' is negative; usage is never below 0: {USAGE_FORMS}"
            ));
        }
        let value = Amount::from_str(number)
            .map_err(|_| format!("--usage-over '{shown}' is not a plain decimal; {USAGE_FORMS}"))?
            .value()
            .normalize();
        if !percent {
            // 0.9 is most likely meant as 90%: as an amount it matches nearly every used key,
            // and update would write them all.
            if value > Decimal::ZERO && value < Decimal::ONE {
                let as_percent = (value * Decimal::ONE_HUNDRED).normalize();
                return Err(format!(
                    "--usage-over '{shown}' has no %, so it is an amount ({shown} USD, or credits \
                     on io.net, spent), which nearly every used key has reached; for a share of \
                     the limit write {as_percent}%; an amount is 0 or at least 1"
                ));
            }
            return Ok(UsageOver::Amount(value));
        }
        if value > Decimal::from(MAX_PERCENT) {
            return Err(format!(
                "--usage-over '{shown}' is more than {MAX_PERCENT}%: providers stop a key at its \
                 limit, so usage never gets that far past it and no key would match (a typo?); \
                 write a percent from 0% to {MAX_PERCENT}%, or leave out the % for an amount"
            ));
        }
        Ok(UsageOver::Percent(value))
    }
}

/// `--remaining-under AMOUNT`: a plain decimal >= 0 in the key's unit (USD, or credits on
/// io.net).
pub fn parse_remaining_under(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let shown = crate::text::truncate(t, 40);
    let forms = "write an amount in the key's unit (USD, or credits on io.net) such as 5 or 2.50";
    if t.is_empty() {
        return Err(format!("--remaining-under needs an amount; {forms}"));
    }
    if t.starts_with('-') {
        return Err(format!(
            "--remaining-under '{shown}' is negative; what is left is never below 0: {forms}"
        ));
    }
    if t.ends_with('%') {
        return Err(format!(
            "--remaining-under '{shown}' is a percent; it takes an amount ({forms}); for a share \
             of the limit use --usage-over, e.g. --usage-over 80%"
        ));
    }
    Amount::from_str(t)
        .map(|a| a.value().normalize())
        .map_err(|_| format!("--remaining-under '{shown}' is not a plain decimal; {forms}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::criteria::tests::d;

    #[test]
    fn usage_over_parses_percent_and_amounts() {
        let ok = [
            ("80%", UsageOver::Percent(d("80"))),
            ("80 %", UsageOver::Percent(d("80"))),
            (" 0.5% ", UsageOver::Percent(d("0.5"))),
            ("0%", UsageOver::Percent(d("0"))),
            ("1000%", UsageOver::Percent(d("1000"))),
            ("40", UsageOver::Amount(d("40"))),
            ("40.25", UsageOver::Amount(d("40.25"))),
            ("0", UsageOver::Amount(d("0"))),
            ("5000", UsageOver::Amount(d("5000"))),
        ];
        for (s, want) in ok {
            assert_eq!(s.parse::<UsageOver>(), Ok(want), "{s}");
        }
    }

    #[test]
    fn usage_over_refusals_say_what_to_write() {
        for bad in [
            "", " ", "%", " % ", "abc", "abc%", "80%%", "1e3", "+5", "5.", ".5", "4 0",
        ] {
            let e = bad.parse::<UsageOver>().unwrap_err();
            assert!(e.contains("80%") && e.contains("40.25"), "{bad}: {e}");
        }
        let e = "-5%".parse::<UsageOver>().unwrap_err();
        assert!(e.contains("negative"), "{e}");
        assert!("-1".parse::<UsageOver>().unwrap_err().contains("negative"));
        let e = "1000.1%".parse::<UsageOver>().unwrap_err();
        assert!(e.contains("more than 1000%") && e.contains("limit"), "{e}");
        assert!("1500 %".parse::<UsageOver>().is_err());
        // Control characters typed in are not echoed.
        let e = "a\u{1b}[31mb".parse::<UsageOver>().unwrap_err();
        assert!(!e.contains('\u{1b}'), "{e}");
    }

    #[test]
    fn remaining_under_parses_amounts_only() {
        assert_eq!(parse_remaining_under(" 5 "), Ok(d("5")));
        assert_eq!(parse_remaining_under("2.50"), Ok(d("2.5")));
        assert_eq!(parse_remaining_under("0"), Ok(d("0")));
        for bad in ["", "-1", "5%", "abc", "1e3", "+5"] {
            let e = parse_remaining_under(bad).unwrap_err();
            assert!(e.contains("--remaining-under"), "{bad}: {e}");
        }
        assert!(
            parse_remaining_under("5%")
                .unwrap_err()
                .contains("--usage-over")
        );
    }
}
