//! `ordergate secret set|show`: a platform's secrets without hand-written JSON.
//!
//! Each platform has up to two secrets: the webhook secret its receiver verifies deliveries
//! with, and the API secret (`--api`) the ack worker calls the platform back with. `set`
//! merges the given keys into the current value — the other keys are kept, never clobbered
//! — refuses keys the functions do not read (a typo would otherwise be stored silently and
//! leave the receiver misconfigured), and checks values a function would reject. Values are
//! never printed: `show` says which keys are set.

use std::collections::BTreeMap;

use ordergate_shared::secrets::SecretKeys;

use crate::platform::Platform;

/// Which of a platform's secrets (the functions' own definition).
pub use ordergate_shared::secrets::SecretKind as Kind;

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
