//! `ordergate forget`'s S3 side: the objects that held an erased order's raw bodies and
//! photos, every version of them (the bucket is versioned, so a plain delete would only
//! hide them behind a delete marker).

/// Deletes every version of each key; returns how many versions were deleted.
pub async fn delete_blobs(s3: &aws_sdk_s3::Client, bucket: &str, keys: &[String]) -> Result<usize, String> {
    let mut deleted = 0;
    for key in keys {
        let listed = s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(key)
            .send()
            .await
            .map_err(|e| format!("listing {key}: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        let versions = listed
            .versions()
            .iter()
            .filter(|v| v.key() == Some(key))
            .map(|v| v.version_id().map(str::to_owned))
            .chain(
                listed
                    .delete_markers()
                    .iter()
                    .filter(|m| m.key() == Some(key))
                    .map(|m| m.version_id().map(str::to_owned)),
            );
        for version in versions {
            s3.delete_object()
                .bucket(bucket)
                .key(key)
                .set_version_id(version)
                .send()
                .await
                .map_err(|e| format!("deleting {key}: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
            deleted += 1;
        }
    }
    Ok(deleted)
}
