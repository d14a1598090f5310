//! The order platforms, declared once. [`for_each!`] hands this list to a macro, and
//! everything that covers "every platform" derives from it: the ack worker's dispatch, the
//! CLI's platform argument, signers and secret keys, the tests' per-platform suites. A
//! platform missing somewhere it must be is then a compile error, not a silent gap.
//!
//! Adding a platform: its crate under `functions/`, one line in [`for_each!`] and one
//! dependency in this crate's Cargo.toml, its block in template.yaml, its samples in
//! events/ (README, "Adding a platform").

pub use deliverect;
pub use olaclick;
pub use oolio;
pub use ordatic;

/// Calls `$m! { [args] Variant crate Provider Signer Acknowledger; … }` once with every
/// platform: the enum variant naming it, its crate (also its lower-case name), its
/// `Provider`, its `Signer`, and its acknowledging side (`<crate>::ack::<type>`, with the
/// `ack` feature). Extra tokens after the macro's name are passed through in `[args]`.
#[macro_export]
macro_rules! for_each {
    ($($m:ident)::+ $(, $arg:tt)*) => {
        $($m)::+! {
            [$($arg)*]
            OlaClick olaclick OlaClick OlaClickSigner OlaClickAck;
            Deliverect deliverect Deliverect DeliverectSigner DeliverectAck;
            Ordatic ordatic Ordatic OrdaticSigner OrdaticAck;
            Oolio oolio Oolio OolioSigner OolioAck;
        }
    };
}
