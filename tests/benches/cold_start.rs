//! Runs the release receivers the way Lambda does — against a Runtime API on 127.0.0.1 —
//! and prints: cold start (exec → first `GET /invocation/next`, SDK clients built at init),
//! peak RSS after 1,000 new deliveries and 1,000 duplicates stored in the emulator, the
//! stripped arm64 binary sizes from `cargo lambda build --release --arm64` when present,
//! and per delivery (new; duplicate at the instance that stored it; duplicate at a fresh
//! instance) the process's CPU (total on the scheduler's clock; user and system), wall
//! time and context switches, read from /proc — the whole invocation, what Lambda bills.
//! Three floor rows (`tests/floor`) show what the runtime crates, one DynamoDB write and a
//! receiver's three-item transaction cost with no receiver work.
//!
//! Needs `cargo build --release` of the functions and ORDERGATE_TEST_ENDPOINT (make bench).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ordergate_tests::platforms::{distinct, name, Deliverect, OlaClick, Oolio, Ordatic, TestPlatform};
use ordergate_tests::{root, Stack};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the fake Runtime API saw.
#[derive(Default)]
struct Runtime {
    events: VecDeque<String>,
    first_poll: Option<Instant>,
    ok: usize,
    failed: usize,
}

type Shared = Arc<Mutex<Runtime>>;

async fn serve(listener: TcpListener, state: Shared) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(connection(stream, state.clone()));
    }
}

/// A minimal HTTP/1.1 keep-alive loop: the Runtime API's three routes.
async fn connection(stream: TcpStream, state: Shared) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).await.unwrap();
            if header.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await.unwrap();
        let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let reply = if path.ends_with("/invocation/next") {
            state.lock().unwrap().first_poll.get_or_insert_with(Instant::now);
            // Hold the poll until an event is queued, as Lambda does between invocations.
            let next = loop {
                if let Some(event) = state.lock().unwrap().events.pop_front() {
                    break Some(event);
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            };
            match next {
                Some(event) => format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: {}\r\n\
                     lambda-runtime-deadline-ms: {}\r\nlambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\n\
                     lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\ncontent-length: {}\r\n\r\n{event}",
                    uuid_like(),
                    chrono::Utc::now().timestamp_millis() + 30_000,
                    event.len()
                ),
                // Nothing more to do: hold the poll like Lambda does between invocations.
                None => std::future::pending().await,
            }
        } else {
            // A delivery's answer is a 200; a batch's, no item reported failed.
            let ok = path.ends_with("/response")
                && serde_json::from_slice::<Value>(&body).is_ok_and(|r| {
                    r["statusCode"] == 200 || r["batchItemFailures"].as_array().is_some_and(Vec::is_empty)
                });
            let mut s = state.lock().unwrap();
            if ok {
                s.ok += 1
            } else {
                s.failed += 1
            }
            "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_owned()
        };
        if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A Deliverect order's STATE item, as the stream carries it after a status change.
fn state_image(order_id: &str, order: &str) -> Value {
    use ordergate_shared::store::item::{attr, keys, n, s, stream_image, Item};
    let item: Item = [
        (attr::PK, s(keys::order_pk("deliverect", order_id))),
        (attr::SK, s(keys::STATE_SK)),
        (attr::KIND, s(attr::STATE_KIND)),
        (attr::STATUS, s("accepted")),
        (attr::VERSION, n(7)),
        (attr::SEQ, n(2)),
        (attr::LAST_EVENT_TYPE, s("status_20")),
        (attr::LAST_EVENT_KEY, s(format!("k-{order_id}"))),
        (attr::UPDATED_AT, s("2026-11-25T12:00:00+00:00")),
        (attr::ORDER, s(order)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    stream_image(&item)
}

/// A new Oolio event record with its job pending, as the stream carries it.
fn pending_job_image(event_key: &str) -> Value {
    use ordergate_shared::store::item::{s, stream_image, EventImage};
    use ordergate_shared::store::NewEvent;
    let event: ordergate_shared::model::CanonicalEvent = serde_json::from_value(serde_json::json!({
        "schema": 1, "provider": "oolio", "event_key": event_key, "event_type": "order.created",
        "received_at": "2026-11-25T12:00:00Z", "body_sha256": "", "raw_body": {"stored": "inline"}
    }))
    .expect("a canonical event");
    let job =
        ordergate_shared::job::AckJob::for_event(&event, &serde_json::json!({"action": "mark_processed"}));
    let new = NewEvent {
        event: &event,
        raw_body: None,
        job: Some(&job),
        expires_at: 0,
        order_expires_at: 0,
    };
    stream_image(&EventImage::item(
        &new,
        s(serde_json::to_string(&event).expect("JSON")),
    ))
}

fn uuid_like() -> String {
    format!("{:032x}", rand_u128())
}

fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    (u128::from(h.finish()) << 64)
        | u128::from(
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish(),
        )
}

struct Function {
    name: &'static str,
    /// Row label; differs from `name` for a second load profile of the same binary.
    label: String,
    /// Invocations for the load run (0: cold start only).
    count: usize,
    /// Units of work per invocation (stream records in a batch; 1 for a delivery): the
    /// figures are per unit.
    per_event: usize,
    /// What the load phases are: the same events each time; the first two in one process
    /// (a warm instance), a third, if named, in a fresh one (another instance).
    phases: &'static [&'static str],
    env: Vec<(String, String)>,
    events: Box<dyn Fn(usize) -> Value>,
}

fn spawn(bin: &Path, f: &Function, api: &str) -> Child {
    Command::new(bin)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", f.name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("RUST_LOG", "error")
        .envs(f.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the release bootstrap")
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn runtime() -> (String, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap().to_string();
    let state = Shared::default();
    tokio::spawn(serve(listener, state.clone()));
    (api, state)
}

async fn cold_starts(bin: &Path, f: &Function, runs: usize) -> Vec<f64> {
    let mut ms = Vec::new();
    for _ in 0..runs {
        let (api, state) = runtime().await;
        let started = Instant::now();
        let mut child = spawn(bin, f, &api);
        let deadline = started + Duration::from_secs(10);
        let polled = loop {
            if let Some(at) = state.lock().unwrap().first_poll {
                break at;
            }
            assert!(
                Instant::now() < deadline,
                "{} never polled the Runtime API",
                f.name
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        };
        ms.push(polled.duration_since(started).as_secs_f64() * 1000.0);
        child.kill().ok();
        child.wait().ok();
    }
    ms.sort_by(f64::total_cmp);
    ms
}

/// Empties the ack queue every second while a load runs, as the ack worker would: moto
/// recounts every queued message on each SendMessage, so a full queue would make the
/// emulator, not the function, the subject of the figures.
fn drain(stack: &Stack) -> tokio::task::JoinHandle<()> {
    let (sqs, url) = (stack.sqs(), stack.queue_url.clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let _ = sqs.purge_queue().queue_url(&url).send().await;
        }
    })
}

/// What the function's process has used so far: CPU (user, system; clock ticks), CPU on
/// the scheduler's clock (ns, so the total is exact where ticks are ±10 ms) and context
/// switches, summed over its threads (/proc).
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    user: u64,
    system: u64,
    cpu_ns: u64,
    switches: u64,
}

impl Usage {
    fn of(pid: u32) -> Usage {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command (which may hold spaces): utime is the 14th, stime 15th.
        let rest: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, r)| r)
            .split_whitespace()
            .collect();
        let field = |n: usize| rest.get(n - 3).and_then(|v| v.parse().ok()).unwrap_or(0);
        let (mut switches, mut cpu_ns) = (0, 0);
        for task in std::fs::read_dir(format!("/proc/{pid}/task"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let schedstat = std::fs::read_to_string(task.path().join("schedstat"));
            cpu_ns += schedstat
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0);
            let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
            switches += status
                .lines()
                .filter(|l| l.contains("ctxt_switches"))
                .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        }
        Usage {
            user: field(14),
            system: field(15),
            cpu_ns,
            switches,
        }
    }
}

/// Per delivery of one phase: user and system CPU (ms), wall time (ms), context switches.
#[derive(Debug, Clone, Copy, Default)]
struct PerDelivery {
    cpu_ms: f64,
    user_ms: f64,
    system_ms: f64,
    wall_ms: f64,
    switches: f64,
}

fn per_delivery(before: Usage, after: Usage, wall: Duration, n: usize) -> PerDelivery {
    let tick_ms = 1000.0 / 100.0; // USER_HZ is 100 on Linux
    let n = n as f64;
    PerDelivery {
        cpu_ms: (after.cpu_ns - before.cpu_ns) as f64 / 1e6 / n,
        user_ms: (after.user - before.user) as f64 * tick_ms / n,
        system_ms: (after.system - before.system) as f64 * tick_ms / n,
        wall_ms: wall.as_secs_f64() * 1000.0 / n,
        switches: (after.switches - before.switches) as f64 / n,
    }
}

#[derive(Default)]
struct Load {
    rss_kib: u64,
    phases: Vec<PerDelivery>,
    ok: usize,
    failed: usize,
}

impl Load {
    /// Adds what a stopped instance answered; the peak RSS is the larger one's.
    fn absorb(&mut self, (rss_kib, ok, failed): (u64, usize, usize)) {
        self.rss_kib = self.rss_kib.max(rss_kib);
        self.ok += ok;
        self.failed += failed;
    }
}

/// Hands `events` to the function one at a time and waits for all answers.
async fn run_phase(state: &Shared, events: Vec<String>, name: &str) -> Duration {
    let target = {
        let mut s = state.lock().unwrap();
        s.events.extend(events);
        s.ok + s.failed + s.events.len()
    };
    let started = Instant::now();
    loop {
        let done = {
            let s = state.lock().unwrap();
            s.ok + s.failed
        };
        if done >= target {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{name}: only {done} of {target} events"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// One running instance of a function, after its cold start.
struct Instance {
    child: Child,
    state: Shared,
}

impl Instance {
    async fn start(bin: &Path, f: &Function) -> Instance {
        let (api, state) = runtime().await;
        let child = spawn(bin, f, &api);
        while state.lock().unwrap().first_poll.is_none() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Instance { child, state }
    }

    /// Stops it: (peak RSS, answers ok, answers failed).
    fn stop(mut self) -> (u64, usize, usize) {
        let rss_kib = peak_rss_kib(self.child.id());
        self.child.kill().ok();
        self.child.wait().ok();
        let s = self.state.lock().unwrap();
        (rss_kib, s.ok, s.failed)
    }
}

/// The function as Lambda runs it, after its cold start: `events` new deliveries, then the
/// same deliveries again (duplicates), and again in a fresh instance if `f` names a third
/// phase; each phase measured from /proc.
async fn load(bin: &Path, f: &Function, events: usize, stack: &Stack) -> Load {
    let drainer = drain(stack);
    let batch: Vec<String> = (0..events).map(|i| (f.events)(i).to_string()).collect();
    let units = events * f.per_event;
    let mut load = Load::default();
    let mut instance = Instance::start(bin, f).await;
    for phase in 0..f.phases.len() {
        if phase == 2 {
            load.absorb(std::mem::replace(&mut instance, Instance::start(bin, f).await).stop());
        }
        let before = Usage::of(instance.child.id());
        let wall = run_phase(&instance.state, batch.clone(), f.name).await;
        load.phases
            .push(per_delivery(before, Usage::of(instance.child.id()), wall, units));
    }
    drainer.abort();
    load.absorb(instance.stop());
    load
}

fn function<P: TestPlatform>(common: &[(String, String)]) -> Function {
    let mut env = common.to_vec();
    env.push((secret_var::<P>(), P::secrets().to_owned()));
    env.extend(P::ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Function {
        name: name::<P>(),
        label: name::<P>().to_owned(),
        count: events_per_run(),
        per_event: 1,
        phases: &["new", "duplicate, same instance", "duplicate, another instance"],
        env,
        events: Box::new(|i| distinct::<P>(P::LIFECYCLE[0], &format!("bench{i}")).0),
    }
}

fn secret_var<P: TestPlatform>() -> String {
    ordergate_shared::secrets::SecretKind::Webhook.json_var(name::<P>())
}

/// Every receiver, from the platform list.
macro_rules! receivers {
    ([$common:ident] $($variant:ident $krate:ident $provider:ident $signer:ident $ack:ident;)*) => {
        vec![$(function::<$variant>(&$common),)*]
    };
}

/// The worker's secret variables for every platform (their values: the local secrets).
macro_rules! worker_secrets {
    ([] $($variant:ident $krate:ident $provider:ident $signer:ident $ack:ident;)*) => {
        [$((secret_var::<$variant>(), $variant::secrets().to_owned()),)*]
    };
}

fn functions(stack: &Stack, endpoint: &str, worker_batches: Vec<Value>, order: String) -> Vec<Function> {
    let common = vec![
        ("AWS_ENDPOINT_URL".to_owned(), endpoint.to_owned()),
        ("ORDERGATE_AWS_TIMEOUT_MS".to_owned(), "10000".to_owned()),
        ("TABLE_NAME".to_owned(), stack.table.clone()),
        ("QUEUE_URL".to_owned(), stack.queue_url.clone()),
        ("BLOB_BUCKET".to_owned(), stack.bucket.clone()),
    ];
    let mut worker = common.clone();
    worker.extend(ordergate_tests::ordergate_platforms::for_each!(worker_secrets));
    worker.extend([
        (
            "ORDATIC_API_URL".to_owned(),
            "http://127.0.0.1:9/ordatic".to_owned(),
        ),
        ("ORDATIC_CURRENCY".to_owned(), "EUR".to_owned()),
    ]);
    // The heaviest delivery: a 3 MB proof of delivery (base64 image → S3, body → S3).
    let proofs = Function {
        label: "ordatic, 3 MB proofs".into(),
        count: 50,
        events: Box::new(|i| {
            distinct::<Ordatic>("ordatic/rider-proof-delivery-large.json", &format!("proof{i}")).0
        }),
        ..function::<Ordatic>(&common)
    };
    let mut all = ordergate_tests::ordergate_platforms::for_each!(receivers, common);
    all.extend(floor(&common));
    all.extend([
        proofs,
        // Cold start only: its load is platform callbacks, not deliveries.
        Function {
            name: "ack-worker",
            label: "ack-worker (no platform call)".into(),
            count: worker_batches.len(),
            per_event: RECORDS_PER_BATCH,
            phases: &["per job", "per job, settled repeat"],
            env: worker,
            events: Box::new(move |i| worker_batches[i].clone()),
        },
    ]);
    all.extend(publisher(stack, &common, order));
    all
}

/// The floor under the receivers' rows (`tests/floor`): the runtime crates alone, then
/// with one conditional DynamoDB write, then with a receiver's three-item transaction, fed
/// OlaClick's deliveries.
fn floor(common: &[(String, String)]) -> [Function; 3] {
    let mode = |label: &str, floor_mode: &str| {
        let mut env = common.to_vec();
        env.push(("FLOOR_MODE".to_owned(), floor_mode.to_owned()));
        Function {
            name: "ordergate-floor",
            label: label.into(),
            env,
            ..function::<OlaClick>(common)
        }
    };
    [
        mode("floor: lambda_http, no work", "empty"),
        mode("floor: + one conditional PutItem", "put"),
        mode("floor: + a receiver's three-item transaction", "transact"),
    ]
}

/// SQS batches for the ack worker: jobs of Oolio events stored through the receiver first
/// (the worker claims each, has no platform to call for Oolio — Svix's answer was the 2xx —
/// and records the outcome: its own cost, without a platform's latency). Empty when the
/// worker is not measured.
async fn worker_batches(stack: &Stack, measured: bool) -> Vec<Value> {
    if !measured {
        return Vec::new();
    }
    let rx = stack.pipeline(Oolio::provider(), Oolio::secrets());
    let mut messages = Vec::new();
    for i in 0..events_per_run() {
        let tag = format!("work{i}");
        let (event, _) = distinct::<Oolio>(Oolio::LIFECYCLE[0], &tag);
        rx.handle(ordergate_testkit::request(&event)).await;
        let key = format!("msg_{tag}");
        let stored = ordergate_shared::store::EventStore::event(&stack.store(), "oolio", &key).await;
        let job = stored.ok().flatten().and_then(|s| s.job).expect("a stored job");
        messages.push(serde_json::json!({
            "messageId": uuid_like(), "receiptHandle": uuid_like(),
            "body": serde_json::to_string(&job).expect("plain data"),
            "attributes": {"ApproximateReceiveCount": "1", "MessageGroupId": job.group_id()},
            "eventSource": "aws:sqs", "awsRegion": "us-east-1",
        }));
    }
    messages
        .chunks(RECORDS_PER_BATCH)
        .map(|chunk| serde_json::json!({ "Records": chunk }))
        .collect()
}

/// Stream records in one publisher invocation (Lambda batches them).
const RECORDS_PER_BATCH: usize = 10;

/// The publisher per stream record: order changes published to the stack's bus (one
/// PutEvents per 10), and new events' jobs relayed to the ack queue (one SendMessage each).
fn publisher(stack: &Stack, common: &[(String, String)], order: String) -> Vec<Function> {
    let bus = stack.resources["OrderEventsBus"]
        .as_str()
        .unwrap_or("orders")
        .to_owned();
    let env = [common, &[("EVENT_BUS_NAME".to_owned(), bus)]].concat();
    let batch = move |record: &dyn Fn(usize) -> Value, i: usize| {
        let records: Vec<Value> = (0..RECORDS_PER_BATCH)
            .map(|r| record(i * RECORDS_PER_BATCH + r))
            .collect();
        serde_json::json!({ "Records": records })
    };
    let changes = move |n: usize| {
        let image = state_image(&format!("bench-{n}"), &order);
        serde_json::json!({"eventName": "MODIFY", "dynamodb": {"SequenceNumber": n.to_string(), "NewImage": image}})
    };
    let jobs = |n: usize| {
        let image = pending_job_image(&format!("bench-{}-{n}", uuid_like()));
        serde_json::json!({"eventName": "INSERT", "dynamodb": {"SequenceNumber": n.to_string(), "NewImage": image}})
    };
    let count = events_per_run() / RECORDS_PER_BATCH;
    let profile = |label: &str, events: Box<dyn Fn(usize) -> Value>| Function {
        name: "publisher",
        label: label.into(),
        count,
        per_event: RECORDS_PER_BATCH,
        phases: &["per record", "per record, again"],
        env: env.clone(),
        events,
    };
    vec![
        profile("publisher, order changes", Box::new(move |i| batch(&changes, i))),
        profile("publisher, ack relay", Box::new(move |i| batch(&jobs, i))),
    ]
}

/// A full canonical order, as stored in a STATE item (Deliverect's sample, normalized).
async fn sample_order() -> String {
    use ordergate_shared::Provider;
    let rx = ordergate_testkit::memory_pipeline(
        deliverect::Deliverect::new(deliverect::Config::sample()),
        &serde_json::from_str(Deliverect::secrets()).expect("secret JSON"),
    );
    let event = ordergate_tests::platforms::signed_sample::<Deliverect>("deliverect/new_order.json");
    rx.handle(ordergate_testkit::request(&event)).await;
    let view = ordergate_shared::store::EventStore::order(
        rx.store(),
        deliverect::Deliverect::NAME,
        ordergate_tests::platforms::Deliverect::ORDER_KEY,
    )
    .await;
    serde_json::to_string(
        &view
            .expect("stored")
            .state
            .expect("a state")
            .order
            .expect("a snapshot"),
    )
    .expect("plain data")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn events_per_run() -> usize {
    std::env::var("ORDERGATE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

#[tokio::main]
async fn main() {
    let bins = std::env::var("ORDERGATE_BENCH_BIN_DIR")
        .map_or_else(|_| root().join("target/release"), PathBuf::from);
    let endpoint = ordergate_tests::endpoint();
    let stack = Stack::new().await;
    println!("| function | cold start p50 | p90 | max | deliveries | peak RSS after them | ok / failed | arm64 size |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut per_delivery_rows = Vec::new();
    // ORDERGATE_BENCH_ONLY=olaclick measures one function (e.g. before/after a change).
    let only = std::env::var("ORDERGATE_BENCH_ONLY").ok();
    let measure_worker = only.as_deref().is_none_or(|o| o == "ack-worker");
    let batches = worker_batches(&stack, measure_worker).await;
    for f in functions(&stack, &endpoint, batches, sample_order().await) {
        if only.as_deref().is_some_and(|o| f.name != o) {
            continue;
        }
        let bin = bins.join(f.name);
        let starts = cold_starts(&bin, &f, 20).await;
        let arm = root().join(format!("target/lambda/{}/bootstrap", f.name));
        let size = std::fs::metadata(&arm).map_or("not built".into(), |m| {
            format!("{:.2} MiB", m.len() as f64 / 1048576.0)
        });
        let load = if f.count == 0 {
            "| | | ".to_owned()
        } else {
            let l = load(&bin, &f, f.count, &stack).await;
            for (kind, p) in f.phases.iter().zip(l.phases) {
                per_delivery_rows.push(format!(
                    "| {} | {kind} | {:.3} ms | {:.3} ms | {:.3} ms | {:.2} ms | {:.1} |",
                    f.label, p.cpu_ms, p.user_ms, p.system_ms, p.wall_ms, p.switches
                ));
            }
            format!(
                "| {} | {:.1} MiB | {} / {} ",
                f.phases.len() * f.count * f.per_event,
                l.rss_kib as f64 / 1024.0,
                l.ok,
                l.failed
            )
        };
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.1} ms {load}| {size} |",
            f.label,
            percentile(&starts, 0.5),
            percentile(&starts, 0.9),
            starts[starts.len() - 1],
        );
    }
    // What a user pays per delivery: the whole invocation (Runtime API poll, event decode,
    // secret, verify, parse, DynamoDB/SQS/S3 calls, response, logs, metrics) in the release
    // binary's own process, after its cold start. Wall time is emulator-bound.
    println!();
    println!("| function | delivery | CPU | user | system | wall (emulator) | context switches |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for row in per_delivery_rows {
        println!("{row}");
    }
}
