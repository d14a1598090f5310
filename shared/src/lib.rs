//! ordergate's common crate: the canonical order model and the one webhook pipeline that
//! every platform's receiver runs. No platform is named here; each lives in its own crate
//! under `functions/` and plugs in through [`provider::Provider`].

pub mod aws;
pub mod blob;
#[cfg(feature = "eventbridge")]
pub mod bus;
pub mod command;
pub mod config;
pub mod error;
pub mod job;
pub mod lenient;
pub mod locations;
pub mod metrics;
pub mod model;
pub mod money;
pub mod pipeline;
pub mod provider;
pub mod queue;
pub mod recent;
pub mod secrets;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod verify;
pub mod wire;
#[cfg(feature = "worker")]
pub mod worker;

pub use error::ApiError;
pub use pipeline::{run, Limits, Pipeline, Reprocessed};
pub use provider::{Provider, Signer};
