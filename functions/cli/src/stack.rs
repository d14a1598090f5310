//! `--stack NAME` (or `ORDERGATE_STACK`): the table, bucket, queues, secrets and webhook
//! URLs from the stack's CloudFormation outputs instead of pasted in one option at a time.
//!
//! An option given on the command line or through its environment variable wins over the
//! stack (so one command can point elsewhere). The local stack (`make dev`, and every test
//! stack) publishes the same outputs under its prefix, so `--stack ordergate-local` works
//! against it too.

use std::collections::HashMap;

use crate::platform::Platform;
use ordergate_shared::secrets::SecretKind as Kind;

/// The stack's outputs, or none when no stack was named.
#[derive(Debug, Default)]
pub struct Stack {
    name: Option<String>,
    outputs: HashMap<String, String>,
}

impl Stack {
    /// Reads `name`'s outputs (one DescribeStacks call); no name, no call.
    pub async fn load(name: Option<&str>, sdk: &aws_config::SdkConfig) -> Result<Stack, String> {
        let Some(name) = name else {
            return Ok(Stack::default());
        };
        let described = aws_sdk_cloudformation::Client::new(sdk)
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "reading stack {name}'s outputs: {}",
                    aws_sdk_cloudformation::error::DisplayErrorContext(e)
                )
            })?;
        let outputs = described
            .stacks()
            .first()
            .ok_or_else(|| format!("no stack {name}"))?
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
            .collect();
        Ok(Stack {
            name: Some(name.to_owned()),
            outputs,
        })
    }

    /// `given` (the option or its environment variable), else the stack's `output`.
    pub fn pick(&self, given: Option<&str>, output: &str, option: &str) -> Result<String, Missing> {
        if let Some(v) = given {
            return Ok(v.to_owned());
        }
        match (&self.name, self.outputs.get(output)) {
            (_, Some(v)) => Ok(v.clone()),
            (Some(name), None) => Err(Missing(format!(
                "stack {name} has no output {output}: give {option}"
            ))),
            (None, None) => Err(Missing(format!(
                "give {option}, or --stack (stack output {output})"
            ))),
        }
    }

    /// The stack's output for `platform`'s `kind` secret, if there is one.
    pub fn secret_id(&self, platform: Platform, kind: Kind) -> Option<&str> {
        self.outputs
            .get(&secret_output(platform, kind))
            .map(String::as_str)
    }
}

/// A required option neither given nor in the stack's outputs: a usage error (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing(pub String);

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The output naming `platform`'s `kind` secret: `<Platform>SecretArn` or `<Platform>ApiSecretArn`.
pub fn secret_output(platform: Platform, kind: Kind) -> String {
    let base = platform.template_name();
    match kind {
        Kind::Webhook => format!("{base}SecretArn"),
        Kind::Api => format!("{base}ApiSecretArn"),
    }
}

/// The output with `platform`'s webhook URL.
pub fn webhook_output(platform: Platform) -> String {
    format!("{}WebhookUrl", platform.template_name())
}

pub const TABLE: &str = "OrdersTableName";
pub const BUCKET: &str = "BlobBucketName";
pub const ACK_QUEUE: &str = "AckQueueUrl";
pub const DEAD_LETTER_QUEUE: &str = "AckDeadLetterQueueUrl";
