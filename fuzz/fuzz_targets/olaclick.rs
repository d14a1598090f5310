#![no_main]
//! Any bytes as a signed OlaClick delivery: a 2xx or a clean 4xx, never a panic or a 5xx.

use ordergate_tests::hostile::Harness;
use ordergate_tests::platforms::OlaClick;

thread_local! {
    static HARNESS: Harness<OlaClick> = Harness::new();
}

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    HARNESS.with(|h| h.deliver(body));
});
