//! `ordergate sign` and `ordergate send`: a payload signed the way its platform signs it,
//! printed or POSTed to a webhook URL (local or deployed).

use base64::Engine;
use clap::Args;
use ordergate_shared::provider::{Headers, Outgoing};
use ordergate_shared::secrets::{SecretKind, SecretSource, Secrets};
use serde::Serialize;

use crate::context::{CliError, Ctx, Output};
use crate::platform::Platform;
use crate::stack;

/// Sign a payload as the platform would and POST it to a webhook URL.
#[derive(Args)]
pub struct SendArgs {
    pub platform: Platform,
    /// A sample event (events/...) or a raw payload file.
    pub file: String,
    /// The webhook URL. Default: the stack's output <Platform>WebhookUrl.
    #[arg(long)]
    pub url: Option<String>,
    #[command(flatten)]
    pub secret: SecretArgs,
}

/// The receiver's secret a payload is signed with.
#[derive(Args)]
pub struct SecretArgs {
    /// The receiver's secret as JSON (same keys as its Secrets Manager secret).
    #[arg(long)]
    pub secret_json: Option<String>,
    /// The receiver's Secrets Manager secret. Default: <PLATFORM>_SECRET_ID from the
    /// environment, else the stack's output <Platform>SecretArn, else
    /// <PLATFORM>_SECRET_JSON from the environment.
    #[arg(long)]
    pub secret_id: Option<String>,
    /// OlaClick only: the header the receiver checks (its OLACLICK_AUTH_HEADER).
    #[arg(long, env = "OLACLICK_AUTH_HEADER", default_value = "x-ordergate-token")]
    pub olaclick_header: String,
}

impl SendArgs {
    /// POSTs the signed payload; a non-2xx answer is an output that is not `ok`.
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let (payload, headers, _) = signed(self.platform, &self.file, &self.secret, ctx).await?;
        let output = stack::webhook_output(self.platform);
        let url = ctx.stack.pick(self.url.as_deref(), &output, "--url")?;
        let sent = send(&url, &payload, &headers).await?;
        let duplicate = if sent.duplicate == Some(true) {
            " (duplicate)"
        } else {
            ""
        };
        Ok(Output {
            text: format!("{} {}{duplicate}\n", sent.status, sent.body),
            json: serde_json::to_value(&sent).expect("plain data"),
            ok: (200..300).contains(&sent.status),
        })
    }
}

/// A payload file, the headers its platform would sign it with, and the secret used.
pub async fn signed(
    platform: Platform,
    file: &str,
    secret: &SecretArgs,
    ctx: &Ctx,
) -> Result<(Payload, Headers, Secrets), CliError> {
    let payload = read_payload(file)?;
    let secrets = webhook_secrets(platform, secret, ctx).await?;
    let headers = sign(platform, &secrets, &payload, &secret.olaclick_header)?;
    Ok((payload, headers, secrets))
}

/// The receiver's secret: given as JSON, named, the stack's, or the environment's.
async fn webhook_secrets(platform: Platform, args: &SecretArgs, ctx: &Ctx) -> Result<Secrets, String> {
    let from_env = std::env::var(SecretKind::Webhook.id_var(platform.name())).ok();
    let secret_id = (args.secret_id.as_deref())
        .or(from_env.as_deref())
        .or(ctx.stack.secret_id(platform, SecretKind::Webhook));
    let source = match (&args.secret_json, secret_id) {
        (Some(j), _) => SecretSource::fixed(Secrets::from_json(j).map_err(|e| e.to_string())?),
        (None, Some(id)) => SecretSource::secrets_manager(aws_sdk_secretsmanager::Client::new(&ctx.sdk), id),
        (None, None) => SecretSource::from_env(platform.name(), SecretKind::Webhook, &ctx.sdk)
            .map_err(|e| e.to_string())?,
    };
    let secrets = source
        .get()
        .await
        .map_err(|e| format!("reading the secret: {e}"))?;
    Ok((*secrets).clone())
}

/// What to send: the body, and the delivery id the platform would use (Svix's `svix-id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub body: Vec<u8>,
    pub message_id: String,
}

/// Reads an API Gateway sample event (`events/...`: its body and `svix-id`) or a raw
/// payload file. A payload without an id gets one derived from its bytes, so sending the
/// same file twice is a retry of one delivery, as the platform's own retries are.
pub fn read_payload(path: &str) -> Result<Payload, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let event = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(|v| v.get("requestContext").is_some() && v["body"].is_string());
    let (body, id) = match event {
        Some(e) => {
            let text = e["body"].as_str().unwrap_or_default();
            let body = if e["isBase64Encoded"] == true {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| format!("{path}: body is not base64"))?
            } else {
                text.as_bytes().to_vec()
            };
            (body, e["headers"]["svix-id"].as_str().map(str::to_owned))
        }
        None => (bytes, None),
    };
    let message_id =
        id.unwrap_or_else(|| format!("msg_{}", &ordergate_shared::verify::sha256_hex(&body)[..24]));
    Ok(Payload { body, message_id })
}

#[derive(Debug, Serialize)]
pub struct Sent {
    pub status: u16,
    pub duplicate: Option<bool>,
    pub body: serde_json::Value,
}

/// `url` if a signed delivery may go there. Its headers carry what proves it (OlaClick's
/// token, Ordatic's authorization are the webhook secret itself): plain HTTP only to this
/// machine (the local stack), never across a network.
pub fn checked_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let host = parsed.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        scheme => Err(format!(
            "{url}: a signed delivery goes over https ({scheme} only to this machine)"
        )),
    }
}

/// POSTs `payload` with `headers` (plus the JSON content type) to `url`.
pub async fn send(url: &str, payload: &Payload, headers: &[(String, String)]) -> Result<Sent, String> {
    let mut request = reqwest::Client::new()
        .post(checked_url(url)?)
        .header("content-type", "application/json")
        .body(payload.body.clone());
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let response = request.send().await.map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status().as_u16();
    let duplicate = response
        .headers()
        .get("x-ordergate-duplicate")
        .and_then(|v| v.to_str().ok())
        .map(|v| v == "true");
    let text = response.text().await.map_err(|e| format!("POST {url}: {e}"))?;
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    Ok(Sent {
        status,
        duplicate,
        body,
    })
}

/// `headers` fit to print. Where a platform's proof is the secret itself (OlaClick's token,
/// Ordatic's authorization), the header holds a secret value: it is named, not printed, so
/// no terminal, shell history or CI log holds it (`send` still sends it).
pub fn printable(headers: Headers, secrets: &Secrets) -> Headers {
    let secret = |value: &str| {
        secrets
            .entries()
            .any(|(_, s)| !s.is_empty() && !value.is_empty() && (s.contains(value) || value.contains(s)))
    };
    headers
        .into_iter()
        .map(|(name, value)| {
            let shown = if secret(&value) {
                "<the webhook secret's value: not printed>".to_owned()
            } else {
                value
            };
            (name, shown)
        })
        .collect()
}

/// Signs `payload` for `platform` now.
pub fn sign(
    platform: Platform,
    secrets: &Secrets,
    payload: &Payload,
    olaclick_header: &str,
) -> Result<Headers, String> {
    let out = Outgoing {
        body: &payload.body,
        message_id: &payload.message_id,
        now: chrono::Utc::now(),
    };
    platform
        .signer(olaclick_header)
        .sign(secrets, &out)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{checked_url, printable};
    use ordergate_shared::secrets::Secrets;

    #[test]
    fn a_header_holding_a_secret_value_is_not_printed() {
        let secrets =
            Secrets::from_json(r#"{"auth_header_value": "tok-123456", "hmac_secret": "k"}"#).unwrap();
        let headers = vec![
            ("x-ordergate-token".to_owned(), "tok-123456".to_owned()),
            ("authorization".to_owned(), "Bearer tok-123456".to_owned()),
            ("x-server-authorization-hmac-sha256".to_owned(), "9f2c".to_owned()),
        ];
        let shown = printable(headers, &secrets);
        assert!(!format!("{shown:?}").contains("tok-123456"), "{shown:?}");
        assert_eq!(shown[2].1, "9f2c", "a signature is not the secret: printed");
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        for ok in [
            "https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/olaclick",
            "http://127.0.0.1:4566/_aws/execute-api/abc/webhooks/olaclick",
            "http://127.8.0.1/x",
            "http://localhost:9000/x",
            "http://[::1]:9000/x",
        ] {
            assert!(checked_url(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://abc.execute-api.eu-west-1.amazonaws.com/webhooks/olaclick",
            "http://10.0.0.5/x",
            "http://localhost.example.com/x",
            "ftp://127.0.0.1/x",
            "not a url",
        ] {
            assert!(checked_url(refused).is_err(), "{refused}");
        }
    }
}
