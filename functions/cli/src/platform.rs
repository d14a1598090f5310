//! The platforms as the operator names them, and their senders' side (signing).

use chrono::{DateTime, Utc};
use ordergate_shared::secrets::Secrets;
use ordergate_shared::Provider;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    Olaclick,
    Deliverect,
    Ordatic,
    Oolio,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Olaclick => olaclick::OlaClick::NAME,
            Platform::Deliverect => deliverect::Deliverect::NAME,
            Platform::Ordatic => ordatic::Ordatic::NAME,
            Platform::Oolio => oolio::Oolio::NAME,
        }
    }

    /// Its name in template.yaml (resources and stack outputs: `<name>WebhookUrl`).
    pub fn template_name(self) -> &'static str {
        match self {
            Platform::Olaclick => olaclick::OlaClick::TEMPLATE_NAME,
            Platform::Deliverect => deliverect::Deliverect::TEMPLATE_NAME,
            Platform::Ordatic => ordatic::Ordatic::TEMPLATE_NAME,
            Platform::Oolio => oolio::Oolio::TEMPLATE_NAME,
        }
    }

    /// The headers the platform puts on `body` (its own signing scheme, the receiver's
    /// secret). `olaclick_header` is the receiver's OLACLICK_AUTH_HEADER.
    pub fn sign(
        self,
        secrets: &Secrets,
        body: &[u8],
        message_id: &str,
        now: DateTime<Utc>,
        olaclick_header: &str,
    ) -> Result<Vec<(String, String)>, String> {
        // Only the auth parts of each receiver's configuration matter for signing.
        match self {
            Platform::Olaclick => olaclick::OlaClick::new(olaclick::Config {
                auth_header: olaclick_header.to_owned(),
                merchants: None,
                default_timezone: chrono_tz::UTC,
                merchant_timezones: Default::default(),
                ack_mode: olaclick::AckMode::Sync,
            })
            .sign(secrets, body, message_id, now),
            Platform::Deliverect => deliverect::Deliverect::new(deliverect::Config {
                currency: None,
                location_currencies: Default::default(),
            })
            .sign(secrets, body, message_id, now),
            Platform::Ordatic => ordatic::Ordatic::new(ordatic::Config {
                currency: "EUR".parse().expect("a known currency"),
            })
            .sign(secrets, body, message_id, now),
            Platform::Oolio => oolio::Oolio::new(oolio::Config {
                currency: "AUD".parse().expect("a known currency"),
            })
            .sign(secrets, body, message_id, now),
        }
    }
}
