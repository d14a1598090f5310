//! `ordergate sign`: the headers a platform would send with a payload.

use clap::Args;

use super::send::{printable, signed, SecretArgs};
use crate::context::{done, CliError, Ctx, Output};
use crate::platform::Platform;

/// Print the headers the platform would send with a payload (a header that holds the
/// webhook secret itself, as OlaClick's and Ordatic's do, is named, not printed).
#[derive(Args)]
pub struct SignArgs {
    pub platform: Platform,
    /// A sample event (events/...) or a raw payload file.
    pub file: String,
    #[command(flatten)]
    pub secret: SecretArgs,
}

impl SignArgs {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let (_, headers, secrets) = signed(self.platform, &self.file, &self.secret, ctx).await?;
        let headers = printable(headers, &secrets);
        let text = headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        let json: serde_json::Map<String, serde_json::Value> =
            headers.into_iter().map(|(k, v)| (k, v.into())).collect();
        done(text, json)
    }
}
