//! Operator commands behind the `ordergate` binary.

pub mod dlq;
