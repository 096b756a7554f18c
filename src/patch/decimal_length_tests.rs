//! Unit tests of the length bound on a decimal read from text: up to 64 characters are
//! parsed, a longer or empty one is refused before any parsing (however it would read).

use rust_decimal::Decimal;

use super::decimal_of_str;

#[test]
fn a_decimal_of_up_to_64_characters_is_read_and_a_longer_one_is_not() {
    let at_bound = format!("{}1", "0".repeat(63));
    assert_eq!(at_bound.len(), 64);
    assert_eq!(decimal_of_str(&at_bound), Some(Decimal::ONE));
    assert_eq!(decimal_of_str(&format!(" {at_bound} ")), Some(Decimal::ONE));
    let over = format!("0{at_bound}");
    assert_eq!(decimal_of_str(&over), None);
    assert_eq!(decimal_of_str(&format!("{}1e0", "0".repeat(62))), None);
    for empty in ["", "   "] {
        assert_eq!(decimal_of_str(empty), None);
    }
    assert_eq!(decimal_of_str("12.5"), Some(Decimal::new(125, 1)));
}
