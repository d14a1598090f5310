//! One module per command: its arguments, what it does, and its output (text for people,
//! JSON for scripts).

pub mod dlq;
pub mod event;
pub mod forget;
pub mod location;
pub mod order;
pub mod orders;
pub mod rekey;
pub mod reprocess;
pub mod secret;
pub mod send;
pub mod sign;
pub mod status;
