//! Large content that must not go into DynamoDB (items max 400 KB): raw bodies over the
//! inline limit and decoded attachments such as proof-of-delivery images, kept in S3.
//! Keys are derived from the event key and the content's SHA-256, so a retried delivery
//! rewrites the same object with the same bytes (idempotent, no orphaned copy), and a
//! re-used event id with a different body cannot replace what the first event stored.

mod s3;

use std::future::Future;

use serde::{Deserialize, Serialize};

pub use s3::S3Blobs;

use crate::verify::sha256_hex;

/// Content to store next to an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub reference: BlobRef,
    pub bytes: Vec<u8>,
}

/// Where a blob is, and enough to check it: stored on the event instead of the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    pub key: String,
    pub content_type: String,
    pub size: usize,
    pub sha256: String,
}

impl Blob {
    /// A blob named `name` belonging to one event of `provider`.
    pub fn for_event(
        provider: &str,
        event_key: &str,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Blob {
        let sha256 = sha256_hex(&bytes);
        Self::for_event_hashed(provider, event_key, name, content_type, bytes, sha256)
    }

    /// [`Blob::for_event`] for bytes whose SHA-256 (hex) is already known.
    pub fn for_event_hashed(
        provider: &str,
        event_key: &str,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
        sha256: String,
    ) -> Blob {
        Blob {
            reference: BlobRef {
                // The content's hash is part of the key: a retry rewrites the same object
                // with the same bytes, while a re-used event id with other content gets an
                // object of its own and can never overwrite the one a stored event points to.
                key: format!(
                    "events/{provider}/{}/{sha256}/{name}",
                    sha256_hex(event_key.as_bytes())
                ),
                content_type: content_type.to_owned(),
                size: bytes.len(),
                sha256,
            },
            bytes,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("blob store unavailable: {0}")]
pub struct BlobError(pub String);

impl From<BlobError> for crate::error::ApiError {
    fn from(e: BlobError) -> Self {
        crate::error::ApiError::Unavailable(e.to_string())
    }
}

pub trait BlobStore: Send + Sync {
    fn put(&self, blob: &Blob) -> impl Future<Output = Result<(), BlobError>> + Send;
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, BlobError>> + Send;
}
