#![no_main]
//! Any text as an amount and as a Svix timestamp: never an overflow or a panic.

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    ordergate_tests::hostile::money_and_time(input);
});
