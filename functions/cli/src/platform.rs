//! The platforms as the operator names them, and their senders' side (signing).

use ordergate_shared::{Provider, Signer};

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

    /// The platform's sending side; `olaclick_header` is the receiver's OLACLICK_AUTH_HEADER.
    pub fn signer(self, olaclick_header: &str) -> Box<dyn Signer> {
        match self {
            Platform::Olaclick => Box::new(olaclick::OlaClickSigner {
                auth_header: olaclick_header.to_owned(),
            }),
            Platform::Deliverect => Box::new(deliverect::DeliverectSigner),
            Platform::Ordatic => Box::new(ordatic::OrdaticSigner),
            Platform::Oolio => Box::new(oolio::OolioSigner),
        }
    }
}
