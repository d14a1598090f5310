//! Money as integer minor units of an ISO 4217 currency. Platforms that send decimal major
//! units are converted from the JSON number's own text, never through binary floating point.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// An amount in the smallest unit of its currency (cents for EUR, yen for JPY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MinorUnits(pub i64);

/// Amounts come from outside: every operation on them is checked (None on overflow) so a
/// hostile or absurd value becomes a warning or a refusal, never a wrapped sum or a panic.
impl MinorUnits {
    pub fn checked_add(self, other: MinorUnits) -> Option<MinorUnits> {
        self.0.checked_add(other.0).map(MinorUnits)
    }

    pub fn checked_sub(self, other: MinorUnits) -> Option<MinorUnits> {
        self.0.checked_sub(other.0).map(MinorUnits)
    }

    /// This amount `quantity` times.
    pub fn times(self, quantity: u32) -> Option<MinorUnits> {
        self.0.checked_mul(i64::from(quantity)).map(MinorUnits)
    }

    /// The sum of `parts`, or None if it does not fit.
    pub fn sum(parts: impl IntoIterator<Item = MinorUnits>) -> Option<MinorUnits> {
        parts.into_iter().try_fold(MinorUnits(0), MinorUnits::checked_add)
    }
}

/// An ISO 4217 alphabetic code, validated as three upper-case ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

/// Currencies whose minor unit is not 1/100 (ISO 4217 list of exponents).
const EXPONENTS: &[([u8; 3], u32)] = &[
    (*b"BIF", 0),
    (*b"CLP", 0),
    (*b"DJF", 0),
    (*b"GNF", 0),
    (*b"ISK", 0),
    (*b"JPY", 0),
    (*b"KMF", 0),
    (*b"KRW", 0),
    (*b"PYG", 0),
    (*b"RWF", 0),
    (*b"UGX", 0),
    (*b"UYI", 0),
    (*b"VND", 0),
    (*b"VUV", 0),
    (*b"XAF", 0),
    (*b"XOF", 0),
    (*b"XPF", 0),
    (*b"BHD", 3),
    (*b"IQD", 3),
    (*b"JOD", 3),
    (*b"KWD", 3),
    (*b"LYD", 3),
    (*b"OMR", 3),
    (*b"TND", 3),
    (*b"CLF", 4),
    (*b"UYW", 4),
];

impl Currency {
    pub fn code(&self) -> &str {
        // Constructed only from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of decimal places of the minor unit.
    pub fn exponent(&self) -> u32 {
        // Compared as bytes: this runs for every amount of an order (the hot path).
        EXPONENTS
            .iter()
            .find(|(code, _)| *code == self.0)
            .map_or(2, |(_, exp)| *exp)
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, MoneyError> {
        let bytes = s.trim().as_bytes();
        match bytes {
            [a, b, c] if bytes.iter().all(u8::is_ascii_alphabetic) => Ok(Currency([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(MoneyError::Currency(s.to_owned())),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not an ISO 4217 currency code")]
    Currency(String),
    #[error("'{0}' is not a decimal amount")]
    NotANumber(String),
    #[error("amount {0} is out of range")]
    OutOfRange(String),
}

/// A decimal amount in major units exactly as the platform wrote it, e.g. `7.5` or `"10"`:
/// an integer mantissa and a decimal scale (7.5 = 75 × 10⁻¹). Read from the raw JSON text
/// (number or numeric string) and converted with integer arithmetic, so no digit is lost
/// and nothing goes through binary floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MajorAmount {
    mantissa: i128,
    scale: u32,
}

/// An amount converted to minor units, with whether it had to be rounded to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    pub minor: MinorUnits,
    pub rounded: bool,
}

/// A platform's amounts as minor units of one currency. An amount with more decimals
/// than the currency has is rounded half-even and the rounding is noted, naming the
/// field: the stored event says which amounts are not exactly what was sent. Every
/// platform converts through this, so they round and warn alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converter {
    pub currency: Currency,
    /// One line per rounded amount, for the event's warnings.
    pub warnings: Vec<String>,
}

impl Converter {
    pub fn new(currency: Currency) -> Converter {
        Converter {
            currency,
            warnings: Vec::new(),
        }
    }

    /// `field` names the amount in warnings; it is only built when one is needed, so the
    /// common case allocates nothing. An amount with no minor-unit value (out of range) is
    /// left empty with a warning: the body as sent keeps it, and the order is still kept.
    pub fn minor(&mut self, field: &dyn Fn() -> String, amount: MajorAmount) -> Option<MinorUnits> {
        let converted = match amount.to_minor(self.currency) {
            Ok(c) => c,
            Err(error) => {
                self.warnings.push(format!("{}: {error}; left empty", field()));
                return None;
            }
        };
        if converted.rounded {
            self.warnings.push(format!(
                "{} has more decimals than {} allows; rounded",
                field(),
                self.currency
            ));
        }
        Some(converted.minor)
    }

    pub fn opt(&mut self, field: &dyn Fn() -> String, amount: Option<MajorAmount>) -> Option<MinorUnits> {
        amount.and_then(|a| self.minor(field, a))
    }

    /// An amount the canonical model always has (a unit price, a total): when the platform
    /// sent none we can read, it is recorded as 0 and the warning says so.
    pub fn or_zero(&mut self, field: &dyn Fn() -> String, amount: Option<MajorAmount>) -> MinorUnits {
        let minor = self.opt(field, amount);
        minor.unwrap_or_else(|| {
            self.warnings
                .push(format!("{}: no readable amount; recorded as 0", field()));
            MinorUnits(0)
        })
    }

    /// [`Converter::or_zero`] for an integer amount in units with `digits` decimals.
    pub fn scaled_or_zero(
        &mut self,
        field: &dyn Fn() -> String,
        amount: Option<i64>,
        digits: u32,
    ) -> MinorUnits {
        self.or_zero(field, amount.map(|a| MajorAmount::from_minor(a, digits)))
    }

    /// An integer amount in units with `digits` decimals (cents: 2).
    pub fn scaled(&mut self, field: &dyn Fn() -> String, amount: i64, digits: u32) -> Option<MinorUnits> {
        self.minor(field, MajorAmount::from_minor(amount, digits))
    }
}

/// More digits than this are refused (i128 holds 38).
const MAX_DIGITS: usize = 30;

impl MajorAmount {
    /// Parses `-12.50`, `7.5`, `80`, `1e2`, `1.5E-1` exactly.
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        let t = text.trim();
        let bad = || MoneyError::NotANumber(t.chars().take(40).collect());
        let (number, exponent) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i32>().map_err(|_| bad())?),
            None => (t, 0),
        };
        let (negative, digits) = match number.as_bytes().first() {
            Some(b'-') => (true, &number[1..]),
            Some(b'+') => (false, &number[1..]),
            _ => (false, number),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
            return Err(bad());
        }
        // unsigned_abs: `1e-2147483648` must be out of range, not an overflow.
        if whole.len() + fraction.len() > MAX_DIGITS || exponent.unsigned_abs() > MAX_DIGITS as u32 {
            return Err(MoneyError::OutOfRange(t.chars().take(40).collect()));
        }
        let mut mantissa: i128 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            mantissa = mantissa * 10 + i128::from(b - b'0');
        }
        let mut scale = fraction.len() as i32 - exponent;
        if scale < 0 {
            mantissa = mantissa
                .checked_mul(10_i128.pow(scale.unsigned_abs()))
                .ok_or_else(|| MoneyError::OutOfRange(t.to_owned()))?;
            scale = 0;
        }
        Ok(MajorAmount {
            mantissa: if negative { -mantissa } else { mantissa },
            scale: scale as u32,
        })
    }

    /// An amount given in units with `digits` decimals (e.g. cents: 2), as major units.
    pub fn from_minor(amount: i64, digits: u32) -> MajorAmount {
        MajorAmount {
            mantissa: i128::from(amount),
            scale: digits,
        }
    }

    /// This amount, read as units with `digits` more decimals (cents of it: 2).
    pub fn shifted(self, digits: u32) -> MajorAmount {
        MajorAmount {
            mantissa: self.mantissa,
            scale: self.scale + digits,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Major units → minor units of `currency` (half-even rounding if more digits were sent).
    pub fn to_minor(self, currency: Currency) -> Result<Converted, MoneyError> {
        let out_of_range = || MoneyError::OutOfRange(self.to_string());
        let exp = currency.exponent();
        let (value, rounded) = if exp >= self.scale {
            let factor = 10_i128.checked_pow(exp - self.scale).ok_or_else(out_of_range)?;
            (self.mantissa.checked_mul(factor).ok_or_else(out_of_range)?, false)
        } else {
            let div = 10_i128.checked_pow(self.scale - exp).ok_or_else(out_of_range)?;
            let (q, r) = (self.mantissa.div_euclid(div), self.mantissa.rem_euclid(div));
            let up = match (2 * r).cmp(&div) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => q % 2 != 0,
                std::cmp::Ordering::Less => false,
            };
            (q + i128::from(up), r != 0)
        };
        let minor = i64::try_from(value).map_err(|_| out_of_range())?;
        Ok(Converted {
            minor: MinorUnits(minor),
            rounded,
        })
    }
}

impl fmt::Display for MajorAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{whole}.{fraction}")
    }
}

impl<'de> Deserialize<'de> for MajorAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        let text = raw.get();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        MajorAmount::parse(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(s: &str) -> Currency {
        s.parse().unwrap()
    }

    fn minor(json: &str, currency: &str) -> Converted {
        serde_json::from_str::<MajorAmount>(json)
            .unwrap()
            .to_minor(cur(currency))
            .unwrap()
    }

    #[test]
    fn the_converter_notes_each_rounding_and_each_unreadable_amount_by_field() {
        let mut money = Converter::new(cur("JPY"));
        let field = || "data.total".to_owned();
        assert_eq!(
            money.minor(&field, MajorAmount::parse("120").unwrap()),
            Some(MinorUnits(120))
        );
        assert!(money.warnings.is_empty(), "exact: no warning");
        assert_eq!(
            money.minor(&field, MajorAmount::parse("2.5").unwrap()),
            Some(MinorUnits(2))
        );
        assert_eq!(
            money.warnings,
            ["data.total has more decimals than JPY allows; rounded"]
        );
        assert_eq!(money.opt(&field, None), None);
        assert_eq!(money.warnings.len(), 1, "absent is not a warning");
        let too_big = money.minor(&|| "data.tip".into(), MajorAmount::parse("1e29").unwrap());
        assert_eq!(too_big, None, "out of range: left empty");
        assert!(
            money.warnings[1].starts_with("data.tip: amount"),
            "{:?}",
            money.warnings
        );
        assert_eq!(money.or_zero(&|| "data.total".into(), None), MinorUnits(0));
        assert_eq!(money.warnings[2], "data.total: no readable amount; recorded as 0");
    }

    #[test]
    fn major_units_convert_exactly() {
        assert_eq!(minor("7.5", "PEN").minor, MinorUnits(750));
        assert_eq!(minor("80", "PEN").minor, MinorUnits(8000));
        assert_eq!(minor("19.99", "EUR").minor, MinorUnits(1999));
        assert_eq!(minor("0.1", "USD").minor, MinorUnits(10));
        assert_eq!(minor("1e2", "USD").minor, MinorUnits(10000));
        assert_eq!(minor("\"10\"", "USD").minor, MinorUnits(1000));
        assert_eq!(minor("-5.25", "USD").minor, MinorUnits(-525));
        assert!(!minor("7.5", "PEN").rounded);
    }

    #[test]
    fn exponent_follows_iso_4217() {
        assert_eq!(minor("1500", "JPY").minor, MinorUnits(1500));
        assert_eq!(minor("1.234", "KWD").minor, MinorUnits(1234));
        assert_eq!(cur("pen").code(), "PEN");
        assert_eq!(cur("CLF").exponent(), 4);
    }

    #[test]
    fn extra_digits_round_half_even_and_say_so() {
        let c = minor("0.125", "USD");
        assert_eq!(c.minor, MinorUnits(12));
        assert!(c.rounded);
        assert_eq!(minor("0.135", "USD").minor, MinorUnits(14));
    }

    #[test]
    fn minor_units_of_one_scale_rescale_to_the_currency() {
        let cents = |n: i64, cur: &str| {
            MajorAmount::from_minor(n, 2)
                .to_minor(cur.parse().unwrap())
                .unwrap()
        };
        assert_eq!(cents(650, "EUR").minor, MinorUnits(650));
        assert_eq!(cents(650, "KWD").minor, MinorUnits(6500));
        assert_eq!(cents(150_000, "JPY").minor, MinorUnits(1500));
        let rounded = cents(250, "JPY");
        assert_eq!((rounded.minor, rounded.rounded), (MinorUnits(2), true));
        assert_eq!(cents(-50, "EUR").minor, MinorUnits(-50));
    }

    #[test]
    fn rejects_non_numbers_and_overflow() {
        assert!(serde_json::from_str::<MajorAmount>("\"ten\"").is_err());
        assert!(serde_json::from_str::<MajorAmount>("true").is_err());
        assert!(serde_json::from_str::<MajorAmount>("1e40").is_err());
        let huge = MajorAmount::parse("99999999999999999999").unwrap();
        assert!(huge.to_minor(cur("JPY")).is_err(), "beyond i64 minor units");
        for extreme in ["5e-2147483648", "5e2147483647", "1e-31", "-0.5e-2147483648"] {
            assert!(MajorAmount::parse(extreme).is_err(), "{extreme}");
        }
        assert!(huge.to_minor(cur("USD")).is_err());
        assert!("EURO".parse::<Currency>().is_err());
        assert!("E1R".parse::<Currency>().is_err());
    }
}
