//! `ordergate`: operator commands against a deployed stack or the local one.
//!
//! Works against AWS (`--profile`, `--region`, or the usual AWS settings) or the local
//! emulator (`--endpoint-url`, or `AWS_ENDPOINT_URL`). `--stack NAME` fills the table,
//! bucket, queue, secret and URL options from the stack's outputs (see `stack`). Exit codes: 0 done, 1 failed or not
//! found (or a send answered non-2xx), 2 bad usage. `--json` prints JSON for scripts.

use clap::{Args, Parser, Subcommand};
use ordergate_cli::platform::Platform;
use ordergate_cli::reprocess::{self, Selection};
use ordergate_cli::secret::Kind;
use ordergate_cli::stack::{self, Missing, Stack};
use ordergate_cli::{dlq, forget, inspect, secret, send, status, Output};
use ordergate_shared::secrets::{SecretSource, Secrets};
use ordergate_shared::store::{DynamoStore, EventStore, LocationId};
use serde_json::json;

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
    /// Print the headers the platform would send with a payload (a header that holds the
    /// webhook secret itself, as OlaClick's and Ordatic's do, is named, not printed).
    Sign {
        platform: Platform,
        /// A sample event (events/...) or a raw payload file.
        file: String,
        #[command(flatten)]
        secret: SecretArgs,
    },
    /// Sign a payload as the platform would and POST it to a webhook URL.
    Send {
        platform: Platform,
        /// A sample event (events/...) or a raw payload file.
        file: String,
        /// The webhook URL. Default: the stack's output <Platform>WebhookUrl.
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        secret: SecretArgs,
    },
    /// An order: its current state and every event received for it, with ack status.
    #[command(
        after_help = "Examples:\n  ordergate order olaclick PE-7222853393 --location 777\n  ordergate order ordatic ord-8d41a7e2-1c3b --location st-5f2b9c"
    )]
    Order {
        platform: Platform,
        order_id: String,
        #[command(flatten)]
        location: LocationArg,
        #[command(flatten)]
        table: TableArg,
    },
    /// One received event by its event key (as in logs: `event_key`).
    #[command(
        after_help = "Examples:\n  ordergate event olaclick 7573920b-5558-4455-ae73-d8628aba6609\n  ordergate event olaclick 7573920b-5558-4455-ae73-d8628aba6609 --sqs-batch > /tmp/b.json\n  sam local invoke AckWorkerFunction -e /tmp/b.json"
    )]
    Event {
        platform: Platform,
        event_key: String,
        /// Print the SQS event Lambda would hand the ack worker for this event's stored
        /// job (to run the worker on it locally), instead of the event.
        #[arg(long)]
        sqs_batch: bool,
        #[command(flatten)]
        table: TableArg,
    },
    /// Tell the platform an order's new status, or accept or reject it: checked against
    /// the stored order, recorded on its trail, sent by the ack worker after the order's
    /// earlier commands. Exit 1 with the reason when refused.
    #[command(
        after_help = "Examples:\n  ordergate status deliverect 6438f1a2c9e77d0012ab34cd rejected --reason \"Kitchen closed\"\n  ordergate status deliverect 6438f1a2c9e77d0012ab34cd ready\n  ordergate status ordatic ord-8d41a7e2-1c3b preparing --location st-5f2b9c"
    )]
    Status(status::StatusArgs),
    /// Orders by location and time, newest first (paged; see --next-token).
    Orders {
        #[command(subcommand)]
        action: Orders,
    },
    /// Map platforms' location ids to your own location ids.
    Location {
        #[command(subcommand)]
        action: Location,
    },
    /// The ack queue's dead-letter queue.
    Dlq {
        #[command(subcommand)]
        action: Dlq,
    },
    /// A platform's webhook secret (or, with --api, its API credentials): set keys
    /// without touching the others, or show which are set.
    Secret {
        #[command(subcommand)]
        action: SecretCmd,
    },
    /// Read stored deliveries again with this build's code and the platform's settings
    /// from the environment (set them as the function has them): a quarantined delivery is
    /// stored under its real key as its live delivery would have been (trail, order state
    /// only forward, acknowledgement through the outbox); another one's canonical reading
    /// is replaced where it changed. Reports each event. Safe to repeat.
    #[command(
        after_help = "Examples:\n  ordergate reprocess deliverect --quarantined\n  ordergate reprocess olaclick --order PE-7222853393 --location 777\n  ordergate reprocess oolio --since 2026-11-24T00:00:00Z --until 2026-11-25T00:00:00Z"
    )]
    Reprocess {
        platform: Platform,
        #[command(flatten)]
        select: Select,
        #[command(flatten)]
        location: LocationArg,
        /// End of the --since window (RFC 3339). Default: now.
        #[arg(long, requires = "since")]
        until: Option<String>,
        #[command(flatten)]
        table: TableArg,
        /// Bucket of large raw bodies. Default: the stack's output BlobBucketName.
        #[arg(long, env = "BLOB_BUCKET")]
        bucket: Option<String>,
    },
    /// Move orders stored by an earlier build under their id alone to the key this build
    /// gives them (Ordatic: store and id, as its order ids are unique only per store):
    /// trail copied, state merged with any the new key has, `seq` continued. Run once
    /// after upgrading; safe to repeat.
    #[command(after_help = "Examples:\n  ordergate rekey ordatic --stack ordergate-prod")]
    Rekey {
        platform: Platform,
        #[command(flatten)]
        table: TableArg,
    },
    /// Print a shell completion script: `ordergate completions bash > ~/.local/share/bash-completion/completions/ordergate`.
    Completions { shell: clap_complete::Shell },
    /// Erase one customer's personal data (an order, or every order with their phone or
    /// e-mail): customer, address, courier, notes and platform extras from the order's
    /// state, trail and event records, and its raw bodies and photos from S3. The order's
    /// facts (items, money, status, times) stay. Safe to repeat.
    #[command(
        after_help = "Examples:\n  ordergate forget olaclick --order PE-7222853393 --location 777\n  ordergate forget deliverect --customer +44 7700 900123"
    )]
    Forget {
        platform: Platform,
        /// One order, by the platform's order id.
        #[arg(long, required_unless_present = "customer", conflicts_with = "customer")]
        order: Option<String>,
        #[command(flatten)]
        location: LocationArg,
        /// Every order of this customer's phone number or e-mail (scans the table).
        #[arg(long)]
        customer: Option<String>,
        #[command(flatten)]
        table: TableArg,
        /// Bucket of raw bodies and photos. Default: the stack's output BlobBucketName.
        #[arg(long, env = "BLOB_BUCKET")]
        bucket: Option<String>,
    },
}

/// Which stored events `reprocess` reads again: exactly one of these.
#[derive(Args)]
#[group(required = true, multiple = false)]
struct Select {
    /// One event, by its event key.
    #[arg(long)]
    event: Option<String>,
    /// Every event on one order's trail, oldest first.
    #[arg(long)]
    order: Option<String>,
    /// Every quarantined event not read again yet.
    #[arg(long)]
    quarantined: bool,
    /// Every event received from this time (RFC 3339) until --until (default: now).
    #[arg(long)]
    since: Option<String>,
}

/// The store of an order, for a platform whose order ids are unique only per store.
#[derive(Args)]
struct LocationArg {
    /// The order's location (store), needed where order ids are unique only per store
    /// (Ordatic: its storeId).
    #[arg(long = "location")]
    location: Option<String>,
}

impl LocationArg {
    fn key(&self, platform: Platform, order_id: &str) -> Result<String, CliError> {
        platform
            .order_key(order_id, self.location.as_deref())
            .map_err(CliError::Usage)
    }
}

#[derive(Subcommand)]
enum Orders {
    /// Orders of one location last changed in a time window.
    #[command(
        after_help = "Examples:\n  ordergate orders list --platform olaclick --location 777 --since 2026-11-25\n  ordergate orders list --platform deliverect --team-location store-042 --status cancelled --json"
    )]
    List {
        #[arg(long)]
        platform: Platform,
        /// The platform's location id (merchant, location, store).
        #[arg(
            long,
            required_unless_present_any = ["team_location", "awaiting_acceptance"],
            conflicts_with = "team_location"
        )]
        location: Option<String>,
        /// Your location id (from `ordergate location set`).
        #[arg(long)]
        team_location: Option<String>,
        /// From (RFC 3339, or a date: its midnight UTC). Default: 24 hours ago.
        #[arg(long)]
        since: Option<String>,
        /// Until (RFC 3339, or a date: the end of that day UTC). Default: now.
        #[arg(long)]
        until: Option<String>,
        /// Only orders in this canonical status (placed, accepted, …, cancelled).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i32,
        /// The token a previous page printed, for the next page.
        #[arg(long)]
        next_token: Option<String>,
        /// New orders waiting for the restaurant to accept or reject them (manual
        /// acceptance), soonest deadline first, at every location.
        #[arg(long, conflicts_with_all = ["location", "team_location", "since", "until", "status"])]
        awaiting_acceptance: bool,
        #[command(flatten)]
        table: TableArg,
    },
}

#[derive(Subcommand)]
enum SecretCmd {
    /// Merge key=value lines, read from standard input or --file, into the secret (other
    /// keys are kept). Values are never taken as arguments: the shell's history and the
    /// process list would keep them.
    #[command(
        after_help = "Examples:\n  ordergate secret set deliverect --file deliverect.secret      # a line: hmac_secret=<partner secret>\n  ordergate secret set deliverect --api < api.secret            # client_id=<id> and client_secret=<secret> lines\n  ordergate secret set oolio                                    # type signing_secrets=whsec_..., then Ctrl-D"
    )]
    Set {
        platform: Platform,
        /// A file of key=value lines (# comments and blank lines skipped). Default: stdin.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// Refused: a value on the command line (see above).
        #[arg(hide = true)]
        on_command_line: Vec<String>,
        #[command(flatten)]
        which: WhichSecret,
    },
    /// Which keys of the secret are set (values are never printed).
    Show {
        platform: Platform,
        #[command(flatten)]
        which: WhichSecret,
    },
}

#[derive(Args)]
struct WhichSecret {
    /// The API credentials the ack worker uses (stack output <Platform>ApiSecretArn),
    /// instead of the webhook secret the receiver verifies with (<Platform>SecretArn).
    #[arg(long)]
    api: bool,
    /// The secret's ARN or name. Default: <PLATFORM>_SECRET_ID, or <PLATFORM>_API_SECRET_ID
    /// with --api, from the environment, else the stack's output <Platform>SecretArn or
    /// <Platform>ApiSecretArn.
    #[arg(long)]
    secret_id: Option<String>,
}

impl WhichSecret {
    fn kind(&self) -> Kind {
        if self.api {
            Kind::Api
        } else {
            Kind::Webhook
        }
    }

    fn id(&self, platform: Platform, stack: &Stack) -> Result<String, Missing> {
        let kind = self.kind();
        let from_env = std::env::var(kind.id_var(platform.name())).ok();
        stack.pick(
            self.secret_id.as_deref().or(from_env.as_deref()),
            &stack::secret_output(platform, kind),
            &format!("--secret-id (or {})", kind.id_var(platform.name())),
        )
    }
}

#[derive(Args)]
struct TableArg {
    /// Table name. Default: the stack's output OrdersTableName.
    #[arg(long, env = "TABLE_NAME")]
    table: Option<String>,
}

impl TableArg {
    fn name(&self, stack: &Stack) -> Result<String, Missing> {
        stack.pick(self.table.as_deref(), stack::TABLE, "--table (or TABLE_NAME)")
    }
}

#[derive(Args)]
struct SecretArgs {
    /// The receiver's secret as JSON (same keys as its Secrets Manager secret).
    #[arg(long)]
    secret_json: Option<String>,
    /// The receiver's Secrets Manager secret. Default: <PLATFORM>_SECRET_ID from the
    /// environment, else the stack's output <Platform>SecretArn, else
    /// <PLATFORM>_SECRET_JSON from the environment.
    #[arg(long)]
    secret_id: Option<String>,
    /// OlaClick only: the header the receiver checks (its OLACLICK_AUTH_HEADER).
    #[arg(long, env = "OLACLICK_AUTH_HEADER", default_value = "x-ordergate-token")]
    olaclick_header: String,
}

#[derive(Subcommand)]
enum Location {
    /// Map PLATFORM_ID (merchant / location / store id) to your TEAM_ID.
    Set {
        platform: Platform,
        platform_id: String,
        team_id: String,
        #[command(flatten)]
        table: TableArg,
    },
    /// List a platform's mappings.
    List {
        platform: Platform,
        #[command(flatten)]
        table: TableArg,
    },
    /// Remove a mapping (events are then stored unmapped and flagged).
    Rm {
        platform: Platform,
        platform_id: String,
        #[command(flatten)]
        table: TableArg,
    },
}

#[derive(Subcommand)]
enum Dlq {
    /// Show dead-lettered jobs (they stay where they are).
    List {
        /// Dead-letter queue URL. Default: the stack's output AckDeadLetterQueueUrl.
        #[arg(long, env = "DLQ_URL")]
        dlq_url: Option<String>,
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// Move dead-lettered jobs back to the ack queue. Safe to repeat.
    Replay {
        #[arg(long, env = "DLQ_URL")]
        dlq_url: Option<String>,
        /// Ack queue URL. Default: the stack's output AckQueueUrl.
        #[arg(long, env = "QUEUE_URL")]
        queue_url: Option<String>,
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
}

/// Why a command failed: bad usage (exit 2, like clap's own errors) or the work failed
/// (exit 1).
enum CliError {
    Usage(String),
    Failed(String),
}

impl From<String> for CliError {
    fn from(e: String) -> Self {
        CliError::Failed(e)
    }
}

impl From<Missing> for CliError {
    fn from(e: Missing) -> Self {
        CliError::Usage(e.0)
    }
}

/// A command that went as asked.
fn done(text: String, json: serde_json::Value) -> Result<Output, CliError> {
    Ok(Output { text, json, ok: true })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Completions { shell } = cli.command {
        use clap::CommandFactory;
        use std::io::Write;
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "ordergate", &mut script);
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        let _ = std::io::stdout().write_all(&script);
        return std::process::ExitCode::SUCCESS;
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
        Ok(stack) => run(&cli.command, &Ctx { sdk, stack }).await,
        Err(e) => Err(CliError::Failed(e)),
    };
    match outcome {
        Ok(out) => {
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&out.json).expect("plain data"));
            } else {
                print!("{}", out.text);
            }
            if out.ok {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
        Err(failure) => {
            let (e, code) = match failure {
                CliError::Usage(e) => (e, std::process::ExitCode::from(2)),
                CliError::Failed(e) => (e, std::process::ExitCode::FAILURE),
            };
            // Scripts that asked for JSON get the error as JSON too (and the exit code).
            if cli.json {
                println!("{}", json!({"error": e}));
            }
            eprintln!("ordergate: {e}");
            code
        }
    }
}

/// What every command runs with: AWS settings and the named stack's outputs.
struct Ctx {
    sdk: aws_config::SdkConfig,
    stack: Stack,
}

fn store(ctx: &Ctx, table: &str) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&ctx.sdk), table)
}

async fn secrets(platform: Platform, args: &SecretArgs, ctx: &Ctx) -> Result<Secrets, String> {
    let from_env = std::env::var(Kind::Webhook.id_var(platform.name())).ok();
    let secret_id = args
        .secret_id
        .as_deref()
        .or(from_env.as_deref())
        .or(ctx.stack.secret_id(platform, Kind::Webhook));
    let sm = || aws_sdk_secretsmanager::Client::new(&ctx.sdk);
    let source = match (&args.secret_json, secret_id) {
        (Some(j), _) => SecretSource::fixed(Secrets::from_json(j)?),
        (None, Some(id)) => SecretSource::secrets_manager(sm(), id),
        (None, None) => SecretSource::from_env(platform.name(), Kind::Webhook, &ctx.sdk)?,
    };
    let secrets = source
        .get()
        .await
        .map_err(|e| format!("reading the secret: {e}"))?;
    Ok((*secrets).clone())
}

fn headers_json(headers: &[(String, String)]) -> serde_json::Value {
    headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
}

async fn run(command: &Command, ctx: &Ctx) -> Result<Output, CliError> {
    match command {
        Command::Sign {
            platform,
            file,
            secret,
        } => {
            let (_, headers, secrets) = signed(*platform, file, secret, ctx).await?;
            let headers = send::printable(headers, &secrets);
            let text = headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
            done(text, headers_json(&headers))
        }
        Command::Send {
            platform,
            file,
            url,
            secret,
        } => send_command(*platform, file, url.as_deref(), secret, ctx).await,
        Command::Order {
            platform,
            order_id,
            location,
            table,
        } => {
            let key = location.key(*platform, order_id)?;
            order_command(*platform, order_id, &key, table, ctx).await
        }
        Command::Event {
            platform,
            event_key,
            sqs_batch,
            table,
        } => event_command(*platform, event_key, *sqs_batch, table, ctx).await,
        Command::Status(args) => {
            let table = ctx
                .stack
                .pick(args.table.as_deref(), stack::TABLE, "--table (or TABLE_NAME)")?;
            Ok(status::run(args, &store(ctx, &table)).await?)
        }
        Command::Location { action } => location(action, ctx).await,
        Command::Orders { action } => orders(action, ctx).await,
        Command::Completions { .. } => unreachable!("handled before any AWS setup"),
        Command::Secret { action } => secret_command(action, ctx).await,
        Command::Forget {
            platform,
            order,
            location,
            customer,
            table,
            bucket,
        } => {
            let key;
            let who = match (order, customer) {
                (Some(id), _) => {
                    key = location.key(*platform, id)?;
                    Erase::Order(&key)
                }
                (None, Some(who)) => Erase::Customer(who),
                (None, None) => unreachable!("clap requires one"),
            };
            forget_command(*platform, who, table, bucket.as_deref(), ctx).await
        }
        Command::Dlq { action } => dlq_command(action, ctx).await,
        Command::Rekey { platform, table } => {
            let store = store(ctx, &table.name(&ctx.stack)?);
            let moved = store
                .rekey_orders(platform.name(), |state| {
                    platform.order_key(state.order_id, state.location_id).ok()
                })
                .await
                .map_err(|e| e.to_string())?;
            let mut text: String = moved
                .iter()
                .map(|m| {
                    format!(
                        "{} {} -> {}: {} item(s)\n",
                        platform.name(),
                        m.from,
                        m.to,
                        m.items
                    )
                })
                .collect();
            text.push_str(&format!("{} order(s) moved\n", moved.len()));
            done(text, serde_json::to_value(&moved).expect("plain data"))
        }
        Command::Reprocess {
            platform,
            select,
            location,
            until,
            table,
            bucket,
        } => {
            let selection = selection(*platform, select, location, until.as_deref())?;
            let clients = reprocess::Clients {
                store: store(ctx, &table.name(&ctx.stack)?),
                blobs: ordergate_shared::blob::S3Blobs::new(
                    aws_sdk_s3::Client::new(&ctx.sdk),
                    ctx.stack
                        .pick(bucket.as_deref(), stack::BUCKET, "--bucket (or BLOB_BUCKET)")?,
                ),
            };
            let lines = platform.reprocess(clients, &selection).await?;
            let mut text: String = lines.iter().map(reprocess::Line::text).collect();
            text.push_str(&format!("{} event(s)\n", lines.len()));
            done(text, serde_json::to_value(&lines).expect("plain data"))
        }
    }
}

/// The `reprocess` selection; times are read as RFC 3339 and compared as stored (UTC).
fn selection(
    platform: Platform,
    select: &Select,
    location: &LocationArg,
    until: Option<&str>,
) -> Result<Selection, CliError> {
    let utc = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&chrono::Utc).to_rfc3339())
            .map_err(|e| CliError::Usage(format!("'{t}' is not an RFC 3339 time: {e}")))
    };
    Ok(match select {
        Select { event: Some(key), .. } => Selection::Event(key.clone()),
        Select { order: Some(id), .. } => Selection::Order(location.key(platform, id)?),
        Select {
            quarantined: true, ..
        } => Selection::Quarantined,
        Select {
            since: Some(since), ..
        } => Selection::Received {
            since: utc(since)?,
            until: until.map_or_else(|| Ok(chrono::Utc::now().to_rfc3339()), utc)?,
        },
        _ => {
            return Err(CliError::Usage(
                "choose --event, --order, --quarantined or --since".into(),
            ))
        }
    })
}

/// A payload file and the headers its platform would sign it with.
async fn signed(
    platform: Platform,
    file: &str,
    secret: &SecretArgs,
    ctx: &Ctx,
) -> Result<(send::Payload, Vec<(String, String)>, Secrets), CliError> {
    let payload = send::read_payload(file)?;
    let s = secrets(platform, secret, ctx).await?;
    let headers = send::sign(platform, &s, &payload, &secret.olaclick_header)?;
    Ok((payload, headers, s))
}

async fn send_command(
    platform: Platform,
    file: &str,
    url: Option<&str>,
    secret: &SecretArgs,
    ctx: &Ctx,
) -> Result<Output, CliError> {
    let (payload, headers, _) = signed(platform, file, secret, ctx).await?;
    let url = ctx.stack.pick(url, &stack::webhook_output(platform), "--url")?;
    let sent = send::send(&url, &payload, &headers).await?;
    let duplicate = if sent.duplicate == Some(true) {
        " (duplicate)"
    } else {
        ""
    };
    Ok(Output {
        text: format!("{} {}{duplicate}\n", sent.status, sent.body),
        json: serde_json::to_value(&sent).expect("plain data"),
        ok: (200..300).contains(&sent.status),
    })
}

async fn order_command(
    platform: Platform,
    order_id: &str,
    key: &str,
    table: &TableArg,
    ctx: &Ctx,
) -> Result<Output, CliError> {
    let table = table.name(&ctx.stack)?;
    let store = store(ctx, &table);
    let failed = |e: ordergate_shared::store::StoreError| e.to_string();
    let mut view = store.order(platform.name(), key).await.map_err(failed)?;
    // The trail records an ack once it settles; until then the event record (while it
    // lives, EVENT_TTL_DAYS) has the live status.
    for entry in view.trail.iter_mut().filter(|e| e.ack.is_none()) {
        let event = store
            .event(platform.name(), &entry.dedupe_key.0)
            .await
            .map_err(failed)?;
        entry.ack = event.map(|e| e.ack);
    }
    if view.state.is_none() && view.trail.is_empty() {
        return Err(format!("no {} order {order_id} in {table}", platform.name()).into());
    }
    let text = inspect::order_text(platform.name(), order_id, &view);
    done(text, serde_json::to_value(&view).expect("plain data"))
}

async fn event_command(
    platform: Platform,
    event_key: &str,
    sqs_batch: bool,
    table: &TableArg,
    ctx: &Ctx,
) -> Result<Output, CliError> {
    let table = table.name(&ctx.stack)?;
    let event = store(ctx, &table)
        .event(platform.name(), event_key)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!(
                "no {} event {event_key} in {table} (event records expire after EVENT_TTL_DAYS)",
                platform.name(),
            )
        })?;
    if sqs_batch {
        // The batch is the output either way: a file to hand the worker.
        let job = event.job.as_ref().ok_or_else(|| {
            format!("event {event_key} has no acknowledgement job (quarantined, nothing to acknowledge)")
        })?;
        let batch = serde_json::to_value(inspect::sqs_batch(job)).expect("plain data");
        let text = serde_json::to_string_pretty(&batch).expect("plain data") + "\n";
        return done(text, batch);
    }
    done(
        inspect::event_text(&event),
        serde_json::to_value(&event).expect("plain data"),
    )
}

/// Whose data `forget` erases.
enum Erase<'a> {
    Order(&'a str),
    /// Every order with this phone number or e-mail.
    Customer(&'a str),
}

/// What `forget` did to one order.
#[derive(serde::Serialize)]
struct Erased {
    order_id: String,
    items_changed: usize,
    objects_deleted: usize,
}

async fn forget_command(
    platform: Platform,
    who: Erase<'_>,
    table: &TableArg,
    bucket: Option<&str>,
    ctx: &Ctx,
) -> Result<Output, CliError> {
    let store = store(ctx, &table.name(&ctx.stack)?);
    let bucket = ctx
        .stack
        .pick(bucket, stack::BUCKET, "--bucket (or BLOB_BUCKET)")?;
    let orders = match who {
        Erase::Order(id) => vec![id.to_owned()],
        Erase::Customer(who) => store
            .orders_of_customer(platform.name(), who)
            .await
            .map_err(|e| e.to_string())?,
    };
    let s3 = aws_sdk_s3::Client::new(&ctx.sdk);
    let mut erased = Vec::new();
    for id in &orders {
        let report = store
            .forget_order(platform.name(), id)
            .await
            .map_err(|e| e.to_string())?;
        erased.push(Erased {
            order_id: report.order_id,
            items_changed: report.items,
            objects_deleted: forget::delete_blobs(&s3, &bucket, &report.blobs).await?,
        });
    }
    let mut text: String = erased
        .iter()
        .map(|e| {
            format!(
                "{} {}: {} item(s) erased, {} object version(s) deleted\n",
                platform.name(),
                e.order_id,
                e.items_changed,
                e.objects_deleted
            )
        })
        .collect();
    text.push_str(&format!("{} order(s)\n", erased.len()));
    done(text, serde_json::to_value(&erased).expect("plain data"))
}

async fn dlq_command(action: &Dlq, ctx: &Ctx) -> Result<Output, CliError> {
    let sqs = aws_sdk_sqs::Client::new(&ctx.sdk);
    let dead_letters = |given: &Option<String>| {
        ctx.stack.pick(
            given.as_deref(),
            stack::DEAD_LETTER_QUEUE,
            "--dlq-url (or DLQ_URL)",
        )
    };
    let (verb, letters) = match action {
        Dlq::List { dlq_url, max } => ("listed", dlq::list(&sqs, &dead_letters(dlq_url)?, *max).await?),
        Dlq::Replay {
            dlq_url,
            queue_url,
            max,
        } => {
            let queue = ctx.stack.pick(
                queue_url.as_deref(),
                stack::ACK_QUEUE,
                "--queue-url (or QUEUE_URL)",
            )?;
            (
                "replayed",
                dlq::replay(&sqs, &dead_letters(dlq_url)?, &queue, *max).await?,
            )
        }
    };
    let mut text = String::new();
    for l in &letters {
        let what = match (&l.provider, &l.event_key) {
            (Some(p), Some(k)) => format!("{p} {k}"),
            _ => format!("unreadable: {}", l.unreadable.as_deref().unwrap_or("?")),
        };
        text.push_str(&format!(
            "{}  received {}x  {what}\n",
            l.message_id, l.receive_count
        ));
    }
    text.push_str(&format!("{verb} {} message(s)\n", letters.len()));
    done(text, serde_json::to_value(&letters).expect("plain data"))
}

async fn secret_command(action: &SecretCmd, ctx: &Ctx) -> Result<Output, CliError> {
    let client = aws_sdk_secretsmanager::Client::new(&ctx.sdk);
    match action {
        SecretCmd::Set {
            platform,
            file,
            on_command_line,
            which,
        } => {
            if !on_command_line.is_empty() {
                return Err(CliError::Usage(
                    "secret values are not taken as arguments (shell history, process list): put key=value lines on stdin or in --file".into(),
                ));
            }
            let lines = secret::read_lines(file.as_deref())?;
            let changes = secret::parse_assignments(*platform, which.kind(), &lines)?;
            let id = which.id(*platform, &ctx.stack)?;
            let changed = secret::set(&client, &id, &changes).await?;
            let text = if changed.is_empty() {
                "unchanged\n".to_owned()
            } else {
                format!("set {} (other keys kept)\n", changed.join(", "))
            };
            done(text, json!({"secret_id": id, "changed": changed}))
        }
        SecretCmd::Show { platform, which } => {
            let id = which.id(*platform, &ctx.stack)?;
            let value = secret::current(&client, &id).await?;
            let status = secret::status(*platform, which.kind(), &value);
            let text = status
                .iter()
                .map(|(k, set)| format!("{k}: {}\n", if *set { "set" } else { "EMPTY" }))
                .collect();
            let json = status
                .iter()
                .map(|(k, set)| (k.to_string(), json!(set)))
                .collect();
            done(text, serde_json::Value::Object(json))
        }
    }
}

async fn orders(action: &Orders, ctx: &Ctx) -> Result<Output, CliError> {
    let Orders::List {
        platform,
        location,
        team_location,
        since,
        until,
        status,
        limit,
        next_token,
        awaiting_acceptance,
        table,
    } = action;
    let store = store(ctx, &table.name(&ctx.stack)?);
    if *awaiting_acceptance {
        let page = store
            .awaiting_decision(platform.name(), *limit, next_token.as_deref())
            .await
            .map_err(|e| e.to_string())?;
        return done(
            inspect::orders_text(&page),
            serde_json::to_value(&page).expect("plain data"),
        );
    }
    let now = chrono::Utc::now();
    let since = inspect::time_bound(since.as_deref(), false)?.unwrap_or(now - chrono::Duration::hours(24));
    let until = inspect::time_bound(until.as_deref(), true)?.unwrap_or(now);
    let at = match (location, team_location) {
        (Some(id), _) => LocationId::Platform(id),
        (None, Some(id)) => LocationId::Team(id),
        (None, None) => unreachable!("clap requires one"),
    };
    let page = store
        .orders_at(
            platform.name(),
            at,
            &inspect::index_time(since),
            &inspect::index_time(until),
            status.as_deref(),
            *limit,
            next_token.as_deref(),
        )
        .await
        .map_err(|e| e.to_string())?;
    done(
        inspect::orders_text(&page),
        serde_json::to_value(&page).expect("plain data"),
    )
}

async fn location(action: &Location, ctx: &Ctx) -> Result<Output, CliError> {
    let failed = |e: ordergate_shared::store::StoreError| e.to_string();
    match action {
        Location::Set {
            platform,
            platform_id,
            team_id,
            table,
        } => {
            // Both become parts of the orders' index keys: one DynamoDB cannot hold would
            // quarantine every delivery from that location.
            for (what, id) in [("the platform's id", platform_id), ("your id", team_id)] {
                ordergate_shared::pipeline::check_id(what, id).map_err(|e| CliError::Usage(e.to_string()))?;
            }
            store(ctx, &table.name(&ctx.stack)?)
                .set_location(platform.name(), platform_id, team_id)
                .await
                .map_err(failed)?;
            done(
                format!("{} {platform_id} → {team_id}\n", platform.name()),
                json!({"platform": platform.name(), "platform_id": platform_id, "team_id": team_id}),
            )
        }
        Location::List { platform, table } => {
            let map = store(ctx, &table.name(&ctx.stack)?)
                .locations(platform.name())
                .await
                .map_err(failed)?;
            let mut rows: Vec<_> = map.into_iter().collect();
            rows.sort();
            let text = rows
                .iter()
                .map(|(p, t)| format!("{} {p} → {t}\n", platform.name()))
                .collect();
            let json = rows
                .iter()
                .map(|(p, t)| json!({"platform_id": p, "team_id": t}))
                .collect();
            done(text, serde_json::Value::Array(json))
        }
        Location::Rm {
            platform,
            platform_id,
            table,
        } => {
            let removed = store(ctx, &table.name(&ctx.stack)?)
                .remove_location(platform.name(), platform_id)
                .await
                .map_err(failed)?;
            if !removed {
                return Err(format!("{} {platform_id} was not mapped", platform.name()).into());
            }
            done(
                format!("removed {} {platform_id}\n", platform.name()),
                json!({"removed": platform_id}),
            )
        }
    }
}
