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

/// What a command prints: text for people, a JSON value for `--json`; not `ok` exits 1.
pub struct Output {
    pub text: String,
    pub json: serde_json::Value,
    pub ok: bool,
}
