//! The order platforms, declared once. [`for_each!`] hands this list to a macro, and
//! everything that covers "every platform" derives from it: the ack worker's dispatch, the
//! CLI's platform argument, signers and secret keys, the tests' per-platform suites. A
//! platform missing somewhere it must be is then a compile error, not a silent gap.
//!
//! Adding a platform: its crate under `functions/`, one line in [`for_each!`] and one
//! dependency in this crate's Cargo.toml, its block in template.yaml, its samples in
//! events/ (docs/adding-a-platform.md).

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

use ordergate_shared::command::{self, CommandError, Refusal, StatusCommand, Submitted};
use ordergate_shared::store::EventStore;

macro_rules! submit_command {
    ([] $($variant:ident $krate:ident $provider:ident $signer:ident $ack:ident;)*) => {
        /// Validates and records a restaurant's command for the platform it names
        /// ([`ordergate_shared::command::submit`]).
        pub async fn submit_command<S: EventStore>(
            store: &S,
            command: &StatusCommand,
            limits: &ordergate_shared::Limits,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<Submitted, CommandError> {
            use ordergate_shared::Provider;
            match command.provider.as_str() {
                $($krate::$provider::NAME => command::submit::<$krate::$provider, S>(store, command, limits, now).await,)*
                other => Err(Refusal::Invalid(format!("no platform named '{other}'")).into()),
            }
        }
    };
}

for_each!(submit_command);

macro_rules! names {
    ([] $($variant:ident $krate:ident $provider:ident $signer:ident $ack:ident;)*) => {
        /// Every platform's name, in the list's order.
        pub const NAMES: &[&str] = &[$(<$krate::$provider as ordergate_shared::Provider>::NAME,)*];
    };
}

for_each!(names);
