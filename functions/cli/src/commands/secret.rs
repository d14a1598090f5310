//! `ordergate secret set|show`: a platform's secrets without hand-written JSON.
//!
//! Each platform has up to two secrets: the webhook secret its receiver verifies deliveries
//! with, and the API secret (`--api`) the ack worker calls the platform back with. `set`
//! merges the given keys into the current value — the other keys are kept, never clobbered
//! — refuses keys the functions do not read (a typo would otherwise be stored silently and
//! leave the receiver misconfigured), and checks values a function would reject. Values are
//! never printed: `show` says which keys are set.

use std::collections::BTreeMap;

use clap::Subcommand;
use ordergate_shared::secrets::SecretKeys;
use serde_json::json;

use crate::context::{done, CliError, Ctx, Output, WhichSecret};
use crate::platform::Platform;

/// Which of a platform's secrets (the functions' own definition).
pub use ordergate_shared::secrets::SecretKind as Kind;

/// A platform's webhook secret (or, with --api, its API credentials): set keys without
/// touching the others, or show which are set.
#[derive(Subcommand)]
pub enum Secret {
    /// Merge key=value lines, read from standard input or --file, into the secret (other
    /// keys are kept). Values are never taken as arguments: the shell's history and the
    /// process list would keep them.
    #[command(
        after_help = "Examples:\n  ordergate secret set deliverect --file deliverect.secret      # a line: hmac_secret=<partner secret>\n  ordergate secret set deliverect --api < api.secret            # client_id=<id> and client_secret=<secret> lines\n  ordergate secret set oolio                                    # type signing_secrets=whsec_..., then Ctrl-D"
    )]
    Set {
        platform: Platform,
        /// A file of key=value lines (# comments and blank lines skipped). Default: stdin.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// Refused: a value on the command line (see above).
        #[arg(hide = true)]
        on_command_line: Vec<String>,
        #[command(flatten)]
        which: WhichSecret,
    },
    /// Which keys of the secret are set (values are never printed).
    Show {
        platform: Platform,
        #[command(flatten)]
        which: WhichSecret,
    },
}

impl Secret {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let client = aws_sdk_secretsmanager::Client::new(&ctx.sdk);
        match self {
            Secret::Set {
                platform,
                file,
                on_command_line,
                which,
            } => {
                if !on_command_line.is_empty() {
                    return Err(CliError::Usage(
                        "secret values are not taken as arguments (shell history, process list): put key=value lines on stdin or in --file".into(),
                    ));
                }
                let changes = parse_assignments(*platform, which.kind(), &read_lines(file.as_deref())?)?;
                let id = which.id(*platform, &ctx.stack)?;
                let changed = set(&client, &id, &changes).await?;
                let text = match changed.is_empty() {
                    true => "unchanged\n".to_owned(),
                    false => format!("set {} (other keys kept)\n", changed.join(", ")),
                };
                done(text, json!({"secret_id": id, "changed": changed}))
            }
            Secret::Show { platform, which } => {
                let id = which.id(*platform, &ctx.stack)?;
                let keys = status(*platform, which.kind(), &current(&client, &id).await?);
                let text = (keys.iter())
                    .map(|(k, set)| format!("{k}: {}\n", if *set { "set" } else { "EMPTY" }))
                    .collect();
                let json: serde_json::Map<String, serde_json::Value> =
                    keys.iter().map(|(k, set)| (k.to_string(), json!(set))).collect();
                done(text, json)
            }
        }
    }
}

/// Parses `key=value` arguments, refusing keys `platform`'s `kind` secret does not have and
/// values its function would reject.
pub fn parse_assignments(
    platform: Platform,
    kind: Kind,
    assignments: &[String],
) -> Result<BTreeMap<String, String>, String> {
    let SecretKeys { keys: known, check } = platform.secret_keys(kind);
    let mut out = BTreeMap::new();
    for a in assignments {
        let (key, value) = a
            .split_once('=')
            // The value is not echoed: the line may hold a secret.
            .ok_or_else(|| "a line is not key=value".to_owned())?;
        if !known.contains(&key) {
            return Err(format!(
                "{} {} secret has no key '{key}' (its keys: {})",
                platform.name(),
                kind_name(kind),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ));
        }
        check(key, value).map_err(|e| format!("{key}: {e}"))?;
        out.insert(key.to_owned(), value.to_owned());
    }
    if out.is_empty() {
        return Err("nothing to set: give key=value lines".into());
    }
    Ok(out)
}

/// The `key=value` lines of `file`, or of stdin (prompting when it is a terminal); blank
/// lines and `#` comments skipped, surrounding whitespace and a trailing `\r` removed.
pub fn read_lines(file: Option<&std::path::Path>) -> Result<Vec<String>, String> {
    use std::io::{IsTerminal, Read};
    let text = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("key=value lines, then Ctrl-D:");
            }
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("reading stdin: {e}"))?;
            text
        }
    };
    Ok(lines(&text))
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Webhook => "webhook",
        Kind::Api => "API",
    }
}

/// The secret's current keys (an absent or unparsable value is an error: refusing is safer
/// than replacing something we cannot read).
pub async fn current(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<BTreeMap<String, String>, String> {
    let secrets = ordergate_shared::secrets::fetch(client, secret_id)
        .await
        .map_err(|e| format!("{e}; fix it in the console before merging into it"))?;
    Ok(secrets
        .entries()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// Merges `changes` into the secret; returns the keys whose value changed.
pub async fn set(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    changes: &BTreeMap<String, String>,
) -> Result<Vec<String>, String> {
    let mut value = current(client, secret_id).await?;
    let changed: Vec<String> = changes
        .iter()
        .filter(|(k, v)| value.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    if changed.is_empty() {
        return Ok(changed);
    }
    value.extend(changes.clone());
    client
        .put_secret_value()
        .secret_id(secret_id)
        .secret_string(serde_json::to_string(&value).expect("strings"))
        .send()
        .await
        .map_err(|e| {
            format!(
                "writing {secret_id}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            )
        })?;
    Ok(changed)
}

/// Which of the keys the functions read are set (non-empty), without their values.
pub fn status(platform: Platform, kind: Kind, value: &BTreeMap<String, String>) -> Vec<(&'static str, bool)> {
    platform
        .secret_keys(kind)
        .keys
        .iter()
        .map(|k| (*k, value.get(*k).is_some_and(|v| !v.is_empty())))
        .collect()
}
