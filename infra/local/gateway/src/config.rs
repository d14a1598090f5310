//! What to serve, written by infra/local/local_config.py from template.yaml: the HTTP API's
//! routes and each function's binary, environment (resolved to the local resources),
//! timeout and memory.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// "POST /webhooks/olaclick" → the function's logical id.
    pub routes: BTreeMap<String, String>,
    pub functions: BTreeMap<String, Function>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Function {
    /// The cargo binary (target/<profile>/<binary>).
    pub binary: String,
    /// The crate folder, watched for changes.
    pub code_uri: String,
    pub env: BTreeMap<String, String>,
    /// Seconds, as in the template.
    pub timeout: u64,
    pub memory: u64,
}
