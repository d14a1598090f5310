//! What every command runs with and returns: the AWS settings and the named stack's
//! outputs, the options several commands share, and their result and error types.

use clap::Args;
use ordergate_shared::secrets::SecretKind;
use ordergate_shared::store::DynamoStore;

use crate::platform::Platform;
use crate::stack::{self, Missing, Stack};

/// AWS settings and the named stack's outputs (`--stack`).
pub struct Ctx {
    pub sdk: aws_config::SdkConfig,
    pub stack: Stack,
}

impl Ctx {
    /// The orders table, through a client of these settings.
    pub fn store(&self, table: &TableArg) -> Result<DynamoStore, CliError> {
        let name = table.name(&self.stack)?;
        Ok(DynamoStore::new(aws_sdk_dynamodb::Client::new(&self.sdk), name))
    }
}

/// What a command prints: text for people, a JSON value for `--json`; not `ok` exits 1.
pub struct Output {
    pub text: String,
    pub json: serde_json::Value,
    pub ok: bool,
}

/// A command that went as asked: `text`, or `value` as JSON.
pub fn done(text: String, value: impl serde::Serialize) -> Result<Output, CliError> {
    Ok(Output {
        text,
        json: serde_json::to_value(value).expect("plain data"),
        ok: true,
    })
}

/// Why a command failed: bad usage (exit 2, like clap's own errors) or the work failed
/// (exit 1).
#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Failed(String),
}

impl From<String> for CliError {
    fn from(e: String) -> Self {
        CliError::Failed(e)
    }
}

impl From<Missing> for CliError {
    fn from(e: Missing) -> Self {
        CliError::Usage(e.0)
    }
}

impl From<ordergate_shared::store::StoreError> for CliError {
    fn from(e: ordergate_shared::store::StoreError) -> Self {
        CliError::Failed(e.to_string())
    }
}

#[derive(Args)]
pub struct TableArg {
    /// Table name. Default: the stack's output OrdersTableName.
    #[arg(long, env = "TABLE_NAME")]
    pub table: Option<String>,
}

impl TableArg {
    pub fn name(&self, stack: &Stack) -> Result<String, Missing> {
        stack.pick(self.table.as_deref(), stack::TABLE, "--table (or TABLE_NAME)")
    }
}

/// The store of an order, for a platform whose order ids are unique only per store.
#[derive(Args)]
pub struct LocationArg {
    /// The order's location, needed where order ids are unique only per location
    /// (Ordatic: its storeId; OlaClick: the merchant id).
    #[arg(long = "location")]
    pub location: Option<String>,
}

impl LocationArg {
    /// What `order_id` is stored under.
    pub fn key(&self, platform: Platform, order_id: &str) -> Result<String, CliError> {
        platform
            .order_key(order_id, self.location.as_deref())
            .map_err(CliError::Usage)
    }
}

/// Which of a platform's secrets a command reads or writes.
#[derive(Args)]
pub struct WhichSecret {
    /// The API credentials the ack worker uses (stack output <Platform>ApiSecretArn),
    /// instead of the webhook secret the receiver verifies with (<Platform>SecretArn).
    #[arg(long)]
    pub api: bool,
    /// The secret's ARN or name. Default: <PLATFORM>_SECRET_ID, or <PLATFORM>_API_SECRET_ID
    /// with --api, from the environment, else the stack's output <Platform>SecretArn or
    /// <Platform>ApiSecretArn.
    #[arg(long)]
    pub secret_id: Option<String>,
}

impl WhichSecret {
    pub fn kind(&self) -> SecretKind {
        if self.api {
            SecretKind::Api
        } else {
            SecretKind::Webhook
        }
    }

    pub fn id(&self, platform: Platform, stack: &Stack) -> Result<String, Missing> {
        let kind = self.kind();
        let from_env = std::env::var(kind.id_var(platform.name())).ok();
        stack.pick(
            self.secret_id.as_deref().or(from_env.as_deref()),
            &stack::secret_output(platform, kind),
            &format!("--secret-id (or {})", kind.id_var(platform.name())),
        )
    }
}

/// Where a blob bucket option falls back to the stack's output.
#[derive(Args)]
pub struct BucketArg {
    /// Bucket of raw bodies and photos. Default: the stack's output BlobBucketName.
    #[arg(long, env = "BLOB_BUCKET")]
    pub bucket: Option<String>,
}

impl BucketArg {
    pub fn name(&self, stack: &Stack) -> Result<String, Missing> {
        stack.pick(self.bucket.as_deref(), stack::BUCKET, "--bucket (or BLOB_BUCKET)")
    }
}
