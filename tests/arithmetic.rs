//! Checked arithmetic on everything that comes from outside (money, quantities, Svix
//! timestamps): extreme and random inputs end in a value, a warning or a refusal — never an
//! overflow panic (test builds check overflow) or a wrapped sum. The same function is the
//! cargo-fuzz target `money_and_time`.

use ordergate_tests::hostile::money_and_time;
use proptest::prelude::*;

#[test]
fn extreme_inputs_do_not_overflow() {
    for input in [
        "5e-2147483648",
        "5e2147483647",
        "-9223372036854775808",
        "9223372036854775807",
        "99999999999999999999999999999",
        "-0.5e-30",
        "1e30",
        "-9223372036854775808e0",
        "9223372036854775807.5",
        "",
        "-",
        "e",
        "..",
    ] {
        money_and_time(input.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_number_text(mantissa in any::<i64>(), fraction in 0u64..1_000_000, exponent in any::<i32>()) {
        money_and_time(format!("{mantissa}.{fraction}e{exponent}").as_bytes());
        money_and_time(mantissa.to_string().as_bytes());
    }

    #[test]
    fn any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        money_and_time(&bytes);
    }
}

#[test]
fn sums_that_overflow_are_none_not_wrapped() {
    use ordergate_shared::money::MinorUnits;
    assert_eq!(MinorUnits::sum([MinorUnits(i64::MAX), MinorUnits(1)]), None);
    assert_eq!(MinorUnits(i64::MAX / 2 + 1).times(2), None);
    assert_eq!(MinorUnits(i64::MIN).checked_sub(MinorUnits(1)), None);
    assert_eq!(
        MinorUnits::sum([MinorUnits(2), MinorUnits(-5)]),
        Some(MinorUnits(-3))
    );
}
