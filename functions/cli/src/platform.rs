//! The platforms as the operator names them (derived from the platform list,
//! `ordergate_platforms::for_each!`), their senders' side and their secrets' keys.

use ordergate_platforms as platforms;
use ordergate_shared::secrets::{SecretKeys, SecretKind as Kind};
use ordergate_shared::{Provider, Signer};

macro_rules! platform_enum {
    ([] $($variant:ident $krate:ident $provider:ident $signer:ident $ack:ident;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Platform {
            $($variant,)*
        }

        impl Platform {
            pub const ALL: &[Platform] = &[$(Platform::$variant,)*];

            /// Its lower-case name: the CLI's argument, part of every key and log line.
            pub fn name(self) -> &'static str {
                match self {
                    $(Platform::$variant => platforms::$krate::$provider::NAME,)*
                }
            }

            /// What an order is stored under: its id, and its location where the
            /// platform's ids are unique only per location (`Provider::ORDER_IDS_PER_LOCATION`).
            pub fn order_key(self, order_id: &str, location: Option<&str>) -> Result<String, String> {
                let per_location = match self {
                    $(Platform::$variant => {
                        platforms::$krate::$provider::ORDER_IDS_PER_LOCATION
                    })*
                };
                ordergate_shared::model::OrderChange::stored_key(per_location, location, order_id).ok_or_else(|| {
                    format!("{} orders are kept per location (store, merchant): give its --location", self.name())
                })
            }

            /// Its name in template.yaml (resources and stack outputs: `<name>WebhookUrl`).
            pub fn template_name(self) -> &'static str {
                match self {
                    $(Platform::$variant => platforms::$krate::$provider::TEMPLATE_NAME,)*
                }
            }

            /// The platform's sending side; `auth_header` is the receiver's configurable
            /// credential header where it has one (OLACLICK_AUTH_HEADER).
            pub fn signer(self, auth_header: &str) -> Box<dyn Signer> {
                match self {
                    $(Platform::$variant => Box::new(platforms::$krate::$signer::configured(auth_header)),)*
                }
            }

            /// The keys the functions read from its `kind` secret.
            pub fn secret_keys(self, kind: Kind) -> SecretKeys {
                match (self, kind) {
                    $(
                        (Platform::$variant, Kind::Webhook) => platforms::$krate::WEBHOOK_SECRET,
                        (Platform::$variant, Kind::Api) => platforms::$krate::ack::API_SECRET,
                    )*
                }
            }
        }
    };
}

platforms::for_each!(platform_enum);

impl clap::ValueEnum for Platform {
    fn value_variants<'a>() -> &'a [Self] {
        Platform::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}
