//! `ordergate`: operator commands against a deployed stack or the local one.
//!
//! Works against AWS (profile, region from the usual AWS settings) or the local emulator
//! (`--endpoint-url`, or `AWS_ENDPOINT_URL`). Exit codes: 0 done, 1 failed, 2 bad usage.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ordergate", version, about = "Operate an ordergate deployment")]
struct Cli {
    /// AWS endpoint override, e.g. http://127.0.0.1:4566 for the local stack.
    #[arg(long, env = "AWS_ENDPOINT_URL", global = true)]
    endpoint_url: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The ack queue's dead-letter queue.
    Dlq {
        #[command(subcommand)]
        action: Dlq,
    },
}

#[derive(Subcommand)]
enum Dlq {
    /// Show dead-lettered jobs (they stay where they are).
    List {
        /// Dead-letter queue URL (stack output AckDeadLetterQueueUrl).
        #[arg(long, env = "DLQ_URL")]
        dlq_url: String,
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// Move dead-lettered jobs back to the ack queue. Safe to repeat.
    Replay {
        #[arg(long, env = "DLQ_URL")]
        dlq_url: String,
        /// Ack queue URL (stack output AckQueueUrl).
        #[arg(long, env = "QUEUE_URL")]
        queue_url: String,
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(url) = &cli.endpoint_url {
        // aws-config reads the override from the environment, like the functions do.
        std::env::set_var("AWS_ENDPOINT_URL", url);
    }
    let sdk = ordergate_shared::aws::sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let (verb, result) = match &cli.command {
        Command::Dlq {
            action: Dlq::List { dlq_url, max },
        } => ("listed", ordergate_cli::dlq::list(&sqs, dlq_url, *max).await),
        Command::Dlq {
            action:
                Dlq::Replay {
                    dlq_url,
                    queue_url,
                    max,
                },
        } => (
            "replayed",
            ordergate_cli::dlq::replay(&sqs, dlq_url, queue_url, *max).await,
        ),
    };
    match result {
        Ok(letters) if cli.json => {
            println!("{}", serde_json::to_string_pretty(&letters).expect("plain data"));
            std::process::ExitCode::SUCCESS
        }
        Ok(letters) => {
            for l in &letters {
                let what = match (&l.provider, &l.event_key) {
                    (Some(p), Some(k)) => format!("{p} {k}"),
                    _ => format!("unreadable: {}", l.unreadable.as_deref().unwrap_or("?")),
                };
                println!("{}  received {}x  {what}", l.message_id, l.receive_count);
            }
            println!("{verb} {} message(s)", letters.len());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ordergate: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
