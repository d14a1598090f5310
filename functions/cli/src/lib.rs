//! The `ordergate` CLI's commands, as a library so tests can drive them.

pub mod dlq;
pub mod forget;
pub mod inspect;
pub mod platform;
pub mod reprocess;
pub mod secret;
pub mod send;
pub mod stack;
pub mod status;
