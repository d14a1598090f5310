//! Ordatic events → canonical status changes, refunds and proof-of-delivery blobs.

use base64::Engine;
use ordergate_shared::blob::Blob;
use ordergate_shared::model::{Adjustment, OrderStatus, Refund, RefundItem, RefundedProduct};
use ordergate_shared::money::{Converter, Currency, MajorAmount, MinorUnits};
use ordergate_shared::time::Timestamp;
use ordergate_shared::ApiError;

use crate::wire::{self, EventType};

/// Order events move the order; rider events are recorded on its trail only.
pub fn status(event: EventType) -> Option<OrderStatus> {
    match event {
        EventType::OrderAccepted => Some(OrderStatus::Accepted),
        EventType::OrderInKitchen => Some(OrderStatus::Preparing),
        EventType::OrderReadyToPickUp => Some(OrderStatus::Ready),
        EventType::OrderPickedUp => Some(OrderStatus::PickedUp),
        EventType::OrderServed => Some(OrderStatus::Completed),
        EventType::OrderCanceled => Some(OrderStatus::Cancelled),
        _ => None,
    }
}

/// Cents (number or numeric string) → minor units; absent is zero, and so is an amount out
/// of range (with a warning). `field` is only built for a warning.
fn cents(money: &mut Converter, field: &dyn Fn() -> String, amount: Option<&MajorAmount>) -> MinorUnits {
    let Some(amount) = amount else {
        return MinorUnits(0);
    };
    money.or_zero(field, Some(amount.shifted(2)))
}

/// The refund, and a warning for each amount rounded to the currency or unreadable.
pub fn refund(r: &wire::Refund, currency: Currency) -> (Refund, Vec<String>) {
    let path = "data.refund";
    let mut money = Converter::new(currency);
    let items = r
        .refund_items
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let at = |f: &str| format!("{path}.refundItems[{n}].{f}");
            RefundItem {
                reason: i.reason.clone(),
                rider_amount: cents(&mut money, &|| at("riderAmount"), i.rider_amount.as_ref()),
                partner_amount: cents(&mut money, &|| at("partnerAmount"), i.partner_amount.as_ref()),
                party_at_fault: i.party_at_fault.clone(),
                products: i
                    .items
                    .iter()
                    .map(|p| RefundedProduct {
                        name: p.name.clone().unwrap_or_default(),
                        quantity: p.qty.unwrap_or_default(),
                    })
                    .collect(),
            }
        })
        .collect();
    let fees = r
        .refund_fees
        .iter()
        .enumerate()
        .map(|(n, f)| Adjustment {
            kind: "refund_fee".into(),
            name: f.name.clone(),
            code: f.code.clone(),
            amount: cents(
                &mut money,
                &|| format!("{path}.refundFees[{n}].amount"),
                f.amount.as_ref(),
            ),
        })
        .collect();
    let refund = Refund {
        id: r.id.clone(),
        date: r.date.as_deref().map(Timestamp::rfc3339),
        reason: r.reason.clone(),
        currency,
        rider_total: cents(
            &mut money,
            &|| format!("{path}.totalRiderRefund"),
            r.total_rider_refund.as_ref(),
        ),
        partner_total: cents(
            &mut money,
            &|| format!("{path}.totalPartnerRefund"),
            r.total_partner_refund.as_ref(),
        ),
        items,
        fees,
    };
    (refund, money.warnings)
}

/// A rider's proof of delivery as Ordatic sends it.
#[derive(Debug)]
pub enum Proof {
    /// The decoded image, for the blob store.
    Image(Blob),
    /// A link to the image (kept, not fetched).
    Link(String),
}

/// Standard or URL-safe base64, padded or not, line-wrapped or not. One scan of the bytes
/// finds both what to strip and which alphabet (proofs run to megabytes).
fn base64_any(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let (mut wrapped, mut url_safe) = (false, false);
    for b in text.bytes() {
        wrapped |= b.is_ascii_whitespace();
        url_safe |= b == b'-' || b == b'_';
    }
    // Line-wrapped base64 is tolerated; the common unwrapped case is decoded without a copy.
    let compact: std::borrow::Cow<'_, str> = if wrapped {
        text.chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect::<String>()
            .into()
    } else {
        text.into()
    };
    let lenient = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if url_safe { &URL_SAFE } else { &STANDARD };
    GeneralPurpose::new(alphabet, lenient).decode(compact.as_bytes())
}

/// Reads `data.proofDelivery`: base64 (standard or URL-safe, padded or not, line-wrapped or
/// not), a `data:` URI, or an http(s) URL.
pub fn proof(provider: &str, event_key: &str, encoded: &str) -> Result<Proof, ApiError> {
    let trimmed = encoded.trim();
    if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
        return Ok(Proof::Link(trimmed.to_owned()));
    }
    // `data:image/png;base64,…`: the header is short; the data is not searched.
    const MARK: &[u8] = b";base64,";
    let payload = trimmed
        .strip_prefix("data:")
        .and_then(|uri| {
            let head = &uri.as_bytes()[..uri.len().min(256)];
            let at = head.windows(MARK.len()).position(|w| w == MARK)?;
            uri.get(at + MARK.len()..)
        })
        .unwrap_or(trimmed);
    let bytes = base64_any(payload).map_err(|e| {
        ApiError::bad_request("invalid_proof", format!("data.proofDelivery is not base64: {e}"))
    })?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_proof",
            "data.proofDelivery is empty",
        ));
    }
    let (name, content_type) = match bytes.as_slice() {
        [0x89, b'P', b'N', b'G', ..] => ("proof.png", "image/png"),
        [0xFF, 0xD8, 0xFF, ..] => ("proof.jpg", "image/jpeg"),
        _ => ("proof.bin", "application/octet-stream"),
    };
    Ok(Proof::Image(Blob::for_event(
        provider,
        event_key,
        name,
        content_type,
        bytes,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_order_events_move_the_status() {
        for e in EventType::ALL {
            assert_eq!(status(e).is_some(), !e.is_rider(), "{}", e.as_str());
        }
        assert_eq!(status(EventType::OrderServed), Some(OrderStatus::Completed));
    }

    fn image(p: Proof) -> Blob {
        match p {
            Proof::Image(blob) => blob,
            Proof::Link(url) => panic!("a link, not an image: {url}"),
        }
    }

    #[test]
    fn proofs_decode_from_any_base64_or_data_uris_and_links_are_kept() {
        let png = image(proof("p", "k", "iVBORw0KGgo=").unwrap());
        assert_eq!(
            (png.reference.content_type.as_str(), png.bytes.len()),
            ("image/png", 8)
        );
        assert!(png.reference.key.ends_with("/proof.png"));
        let uri = image(proof("p", "k", "data:image/png;base64,iVBORw0K\nGgo=").unwrap());
        assert_eq!(uri.bytes, png.bytes);
        for variant in ["iVBORw0KGgo", "_9j_4A", "/9j/4A=="] {
            let decoded = image(proof("p", "k", variant).unwrap());
            assert!(!decoded.bytes.is_empty(), "{variant}");
        }
        assert_eq!(
            image(proof("p", "k", "_9j_4A").unwrap()).bytes,
            image(proof("p", "k", "/9j/4A==").unwrap()).bytes,
            "URL-safe unpadded = standard padded"
        );
        assert!(matches!(
            proof("p", "k", " https://cdn.example.com/p.png ").unwrap(),
            Proof::Link(url) if url == "https://cdn.example.com/p.png"
        ));
        assert_eq!(
            proof("p", "k", "not base64!").unwrap_err().code(),
            "invalid_proof"
        );
        assert_eq!(proof("p", "k", "").unwrap_err().code(), "invalid_proof");
    }
}
