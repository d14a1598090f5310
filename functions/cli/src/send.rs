//! `ordergate sign` and `ordergate send`: a payload signed the way its platform signs it,
//! printed or POSTed to a webhook URL (local or deployed).

use base64::Engine;
use serde::Serialize;

use crate::platform::Platform;
use ordergate_shared::provider::{Headers, Outgoing};
use ordergate_shared::secrets::Secrets;

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

/// POSTs `payload` with `headers` (plus the JSON content type) to `url`.
pub async fn send(url: &str, payload: &Payload, headers: &[(String, String)]) -> Result<Sent, String> {
    let mut request = reqwest::Client::new()
        .post(url)
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
    platform.signer(olaclick_header).sign(secrets, &out)
}
