use std::time::Duration;

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use super::{Blob, BlobError, BlobStore};

/// The slowest upload rate a put is given time for: an upload's budget is the budget of
/// any call plus one second per MiB, so a 5 MiB body is not cut off at the 1.2 s meant
/// for small calls (and then retried by the platform into the same wall).
const SLOWEST_UPLOAD_BYTES_PER_SEC: u64 = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct S3Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
    /// The budget of a call that moves no body ([`crate::aws::operation_budget`]).
    base: Duration,
}

impl S3Blobs {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        S3Blobs {
            client,
            bucket: bucket.into(),
            base: crate::aws::operation_budget(),
        }
    }

    /// How long the upload of `bytes` may take.
    pub fn upload_budget(&self, bytes: usize) -> Duration {
        self.base + Duration::from_millis(bytes as u64 * 1000 / SLOWEST_UPLOAD_BYTES_PER_SEC)
    }
}

impl BlobStore for S3Blobs {
    async fn put(&self, blob: &Blob) -> Result<(), BlobError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&blob.reference.key)
            .content_type(&blob.reference.content_type)
            .body(ByteStream::from(blob.bytes.clone()))
            .customize()
            .config_override(
                aws_sdk_s3::config::Builder::default()
                    .timeout_config(crate::aws::timeouts(self.upload_budget(blob.bytes.len()))),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| BlobError(format!("s3 put_object: {}", DisplayErrorContext(&e))))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out
                .body
                .collect()
                .await
                .map(|b| Some(b.into_bytes().to_vec()))
                .map_err(|e| BlobError(format!("s3 get_object body: {e}"))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(BlobError(format!("s3 get_object: {}", DisplayErrorContext(&e)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_gets_a_second_per_mib_beyond_the_budget_of_any_call() {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .build();
        let blobs = S3Blobs {
            client: aws_sdk_s3::Client::from_conf(config),
            bucket: "b".into(),
            base: Duration::from_millis(1200),
        };
        assert_eq!(blobs.upload_budget(0), Duration::from_millis(1200));
        assert_eq!(blobs.upload_budget(5 * 1024 * 1024), Duration::from_millis(6200));
        assert!(blobs.upload_budget(64 * 1024) < Duration::from_millis(1300));
    }
}
