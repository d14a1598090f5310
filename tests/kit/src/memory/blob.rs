use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use ordergate_shared::blob::{Blob, BlobError, BlobStore};

/// In-process blob store for unit tests; can be told to fail like an unreachable S3.
#[derive(Default)]
pub struct MemoryBlobs {
    blobs: Mutex<HashMap<String, Vec<u8>>>,
    pub fail: AtomicBool,
}

impl MemoryBlobs {
    pub fn len(&self) -> usize {
        self.blobs.lock().expect("blob lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl BlobStore for MemoryBlobs {
    async fn put(&self, blob: &Blob) -> Result<(), BlobError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(BlobError("memory blob store told to fail".into()));
        }
        self.blobs
            .lock()
            .expect("blob lock")
            .insert(blob.reference.key.clone(), blob.bytes.clone());
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        Ok(self.blobs.lock().expect("blob lock").get(key).cloned())
    }
}
