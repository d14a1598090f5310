//! `ordergate`: operator commands against a deployed stack or the local one.
//!
//! Works against AWS (`--profile`, `--region`, or the usual AWS settings) or the local
//! emulator (`--endpoint-url`, or `AWS_ENDPOINT_URL`). `--stack NAME` fills the table,
//! bucket, queue, secret and URL options from the stack's outputs (see `stack`). Exit codes:
//! 0 done, 1 failed or not found (or a send answered non-2xx), 2 bad usage. `--json` prints
//! JSON for scripts. Each command is a module of `commands/`; this file parses and
//! dispatches.

use clap::{Parser, Subcommand};
use ordergate_cli::commands::{
    dlq, event, forget, location, order, orders, rekey, reprocess, secret, send, sign, status,
};
use ordergate_cli::stack::Stack;
use ordergate_cli::{CliError, Ctx, Output};

#[derive(Parser)]
#[command(name = "ordergate", version, about = "Operate an ordergate deployment")]
struct Cli {
    /// AWS endpoint override, e.g. http://127.0.0.1:4566 for the local stack.
    #[arg(long, env = "AWS_ENDPOINT_URL", global = true)]
    endpoint_url: Option<String>,
    /// AWS profile (~/.aws/config).
    #[arg(long, env = "AWS_PROFILE", global = true)]
    profile: Option<String>,
    /// AWS region.
    #[arg(long, env = "AWS_REGION", global = true)]
    region: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The stack whose outputs fill every table, bucket, queue, secret and URL option not
    /// given (`ordergate-local` is the one `make dev` runs).
    #[arg(long, env = "ORDERGATE_STACK", global = true)]
    stack: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Sign(sign::SignArgs),
    Send(send::SendArgs),
    Order(order::OrderArgs),
    Event(event::EventArgs),
    Status(status::StatusArgs),
    #[command(subcommand)]
    Orders(orders::Orders),
    #[command(subcommand)]
    Location(location::Location),
    #[command(subcommand)]
    Dlq(dlq::Dlq),
    #[command(subcommand)]
    Secret(secret::Secret),
    Reprocess(reprocess::ReprocessArgs),
    Rekey(rekey::RekeyArgs),
    Forget(forget::ForgetArgs),
    /// Print a shell completion script: `ordergate completions bash > ~/.local/share/bash-completion/completions/ordergate`.
    Completions {
        shell: clap_complete::Shell,
    },
}

impl Command {
    async fn run(&self, ctx: &Ctx) -> Result<Output, CliError> {
        match self {
            Command::Sign(c) => c.run(ctx).await,
            Command::Send(c) => c.run(ctx).await,
            Command::Order(c) => c.run(ctx).await,
            Command::Event(c) => c.run(ctx).await,
            Command::Status(c) => c.run(ctx).await,
            Command::Orders(c) => c.run(ctx).await,
            Command::Location(c) => c.run(ctx).await,
            Command::Dlq(c) => c.run(ctx).await,
            Command::Secret(c) => c.run(ctx).await,
            Command::Reprocess(c) => c.run(ctx).await,
            Command::Rekey(c) => c.run(ctx).await,
            Command::Forget(c) => c.run(ctx).await,
            Command::Completions { .. } => unreachable!("handled before any AWS setup"),
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Completions { shell } = cli.command {
        return completions(shell);
    }
    // aws-config reads these from the environment, like the functions do.
    for (name, value) in [
        ("AWS_ENDPOINT_URL", &cli.endpoint_url),
        ("AWS_PROFILE", &cli.profile),
        ("AWS_REGION", &cli.region),
    ] {
        if let Some(v) = value {
            std::env::set_var(name, v);
        }
    }
    let sdk = ordergate_shared::aws::sdk_config().await;
    let outcome = match Stack::load(cli.stack.as_deref(), &sdk).await {
        Ok(stack) => cli.command.run(&Ctx { sdk, stack }).await,
        Err(e) => Err(CliError::Failed(e)),
    };
    print(outcome, cli.json)
}

/// The completion script for `shell` on stdout.
fn completions(shell: clap_complete::Shell) -> std::process::ExitCode {
    use clap::CommandFactory;
    use std::io::Write;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ordergate", &mut script);
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    let _ = std::io::stdout().write_all(&script);
    std::process::ExitCode::SUCCESS
}

/// Prints a command's outcome as text or JSON; its exit code.
fn print(outcome: Result<Output, CliError>, json: bool) -> std::process::ExitCode {
    match outcome {
        Ok(out) => {
            match json {
                true => println!("{}", serde_json::to_string_pretty(&out.json).expect("plain data")),
                false => print!("{}", out.text),
            }
            match out.ok {
                true => std::process::ExitCode::SUCCESS,
                false => std::process::ExitCode::FAILURE,
            }
        }
        Err(failure) => {
            let (e, code) = match failure {
                CliError::Usage(e) => (e, std::process::ExitCode::from(2)),
                CliError::Failed(e) => (e, std::process::ExitCode::FAILURE),
            };
            // Scripts that asked for JSON get the error as JSON too (and the exit code).
            if json {
                println!("{}", serde_json::json!({ "error": e }));
            }
            eprintln!("ordergate: {e}");
            code
        }
    }
}
