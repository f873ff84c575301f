//! Money: WhatsApp amounts are `{value, offset}` (value ÷ offset is the amount in the major
//! unit); the ledger keeps integer minor units (paise, cents, centavos) so sums are exact.

use serde_json::Value;

/// Minor units per major unit of the payment currencies (INR, SGD, BRL all have 2 decimals).
pub const MINOR_PER_MAJOR: i64 = 100;

/// Why an amount cannot be expressed in minor units.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The named field (`value` or `offset`) is missing or not an integer.
    #[error("field `{0}`: missing or not an integer")]
    Missing(&'static str),
    /// The `offset` is not a positive power of ten.
    #[error("field `offset`: must be a positive power of ten, got {0}")]
    BadOffset(i64),
    /// The amount has a fraction of a minor unit (e.g. `value` 11001 at `offset` 1000); never rounded.
    #[error("amount {value}/{offset} is not a whole number of minor units")]
    Fractional {
        /// Meta's `value`: the amount in major units times `offset`.
        value: i64,
        /// Meta's `offset`: how many `value` units make one major unit.
        offset: i64,
    },
    /// The `value` is negative.
    #[error("amount {0} is negative")]
    Negative(i64),
    /// Scaling `value` to minor units overflows an `i64`.
    #[error("amount {value}/{offset} overflows")]
    Overflow {
        /// Meta's `value`: the amount in major units times `offset`.
        value: i64,
        /// Meta's `offset`: how many `value` units make one major unit.
        offset: i64,
    },
}

/// `value / offset` in minor units (offset 100 ⇒ `value` already is minor units; offset 1000
/// ⇒ `value` has one digit more, which must be 0). Exact or an error, never rounded: a rounded
/// amount would let a mismatch pass as a match.
pub fn to_minor(value: i64, offset: i64) -> Result<i64, MoneyError> {
    if offset <= 0 || !is_power_of_ten(offset) {
        return Err(MoneyError::BadOffset(offset));
    }
    if value < 0 {
        return Err(MoneyError::Negative(value));
    }
    let scaled = value.checked_mul(MINOR_PER_MAJOR).ok_or(MoneyError::Overflow { value, offset })?;
    if scaled % offset != 0 {
        return Err(MoneyError::Fractional { value, offset });
    }
    Ok(scaled / offset)
}

/// `{value, offset}` JSON (as Meta sends it) in minor units.
pub fn minor_from_json(v: &Value) -> Result<i64, MoneyError> {
    let value = v.get("value").and_then(Value::as_i64).ok_or(MoneyError::Missing("value"))?;
    let offset = v.get("offset").and_then(Value::as_i64).ok_or(MoneyError::Missing("offset"))?;
    to_minor(value, offset)
}

fn is_power_of_ten(mut n: i64) -> bool {
    while n > 1 && n % 10 == 0 {
        n /= 10;
    }
    n == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_exactly_or_refuses() {
        assert_eq!(to_minor(1100, 100), Ok(1100));
        assert_eq!(to_minor(11, 1), Ok(1100));
        assert_eq!(to_minor(11000, 1000), Ok(1100));
        assert_eq!(to_minor(11001, 1000), Err(MoneyError::Fractional { value: 11001, offset: 1000 }));
        assert_eq!(to_minor(5, 0), Err(MoneyError::BadOffset(0)));
        assert_eq!(to_minor(5, 30), Err(MoneyError::BadOffset(30)));
        assert_eq!(to_minor(-5, 100), Err(MoneyError::Negative(-5)));
        assert!(matches!(to_minor(i64::MAX, 100), Err(MoneyError::Overflow { .. })));
        assert_eq!(minor_from_json(&serde_json::json!({"value": 450, "offset": 100})), Ok(450));
        assert_eq!(minor_from_json(&serde_json::json!({"value": 450})), Err(MoneyError::Missing("offset")));
    }

    proptest::proptest! {
        #[test]
        fn scaling_by_the_offset_never_changes_the_amount(minor in 0i64..1_000_000_000, exp in 0u32..6) {
            let offset = 10i64.pow(exp);
            // minor units at offset 100 == the same amount written with another offset
            let value = minor * offset / 100;
            if (minor * offset) % 100 == 0 {
                proptest::prop_assert_eq!(to_minor(value, offset), Ok(minor));
            }
        }
    }
}
