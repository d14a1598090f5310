//! In-process stores with the semantics of the AWS ones, for unit tests of the platforms
//! and the pipeline; each can be told to fail like an unreachable service.

mod blob;
mod store;

pub use blob::MemoryBlobs;
pub use store::MemoryStore;
