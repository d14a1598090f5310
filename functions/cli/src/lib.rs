//! The `ordergate` CLI's commands, as a library so tests can drive them.

pub mod commands;
pub mod context;
pub mod platform;
pub mod stack;

pub use context::{CliError, Ctx, Output};
