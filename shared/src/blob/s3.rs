use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use super::{Blob, BlobError, BlobStore};

#[derive(Clone, Debug)]
pub struct S3Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Blobs {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        S3Blobs {
            client,
            bucket: bucket.into(),
        }
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
