//! `ordergate forget`: one customer's personal data erased from the table and from S3 —
//! every version of the objects that held their raw bodies and photos (the bucket is
//! versioned, so a plain delete would only hide them behind a delete marker).

use clap::Args;

use crate::context::{done, BucketArg, CliError, Ctx, LocationArg, Output, TableArg};
use crate::platform::Platform;

/// Erase one customer's personal data (an order, or every order with their phone or
/// e-mail): customer, address, courier, notes and platform extras from the order's state,
/// trail and event records, and its raw bodies and photos from S3. The order's facts
/// (items, money, status, times) stay. Safe to repeat.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  ordergate forget olaclick --order PE-7222853393 --location 777\n  ordergate forget deliverect --customer +44 7700 900123"
)]
pub struct ForgetArgs {
    pub platform: Platform,
    /// One order, by the platform's order id.
    #[arg(long, required_unless_present = "customer", conflicts_with = "customer")]
    pub order: Option<String>,
    #[command(flatten)]
    pub location: LocationArg,
    /// Every order of this customer's phone number or e-mail (scans the table).
    #[arg(long)]
    pub customer: Option<String>,
    #[command(flatten)]
    pub table: TableArg,
    #[command(flatten)]
    pub bucket: BucketArg,
}

/// What `forget` did to one order.
#[derive(serde::Serialize)]
struct Erased {
    order_id: String,
    items_changed: usize,
    objects_deleted: usize,
}

impl ForgetArgs {
    pub async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        let platform = self.platform.name();
        let store = ctx.store(&self.table)?;
        let bucket = self.bucket.name(&ctx.stack)?;
        let keys = match (&self.order, &self.customer) {
            (Some(id), _) => vec![self.location.key(self.platform, id)?],
            (None, Some(who)) => store.orders_of_customer(platform, who).await?,
            (None, None) => unreachable!("clap requires one"),
        };
        let s3 = aws_sdk_s3::Client::new(&ctx.sdk);
        let mut erased = Vec::new();
        for key in &keys {
            let report = store.forget_order(platform, key).await?;
            erased.push(Erased {
                order_id: report.order_id,
                items_changed: report.items,
                objects_deleted: delete_blobs(&s3, &bucket, &report.blobs).await?,
            });
        }
        let mut text: String = (erased.iter())
            .map(|e| {
                let (items, objects) = (e.items_changed, e.objects_deleted);
                format!(
                    "{platform} {}: {items} item(s) erased, {objects} object version(s) deleted\n",
                    e.order_id
                )
            })
            .collect();
        text.push_str(&format!("{} order(s)\n", erased.len()));
        done(text, &erased)
    }
}

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
