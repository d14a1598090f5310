//! Runs the release receivers the way Lambda does — against a Runtime API on 127.0.0.1 —
//! and prints: cold start (exec → first `GET /invocation/next`, SDK clients built at init),
//! then peak RSS and throughput after 1,000 events stored in the emulator, and the
//! stripped arm64 binary sizes from `cargo lambda build --release --arm64` when present.
//!
//! Needs `cargo build --release` of the functions and ORDERGATE_TEST_ENDPOINT (make bench).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ordergate_tests::platforms::{distinct, name, Deliverect, OlaClick, Oolio, Ordatic, Platform};
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
            let next = {
                let mut s = state.lock().unwrap();
                s.first_poll.get_or_insert_with(Instant::now);
                s.events.pop_front()
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
            let ok = path.ends_with("/response")
                && serde_json::from_slice::<Value>(&body).is_ok_and(|r| r["statusCode"] == 200);
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
    /// Deliveries for the load run (0: cold start only).
    count: usize,
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

async fn load(bin: &Path, f: &Function, events: usize, stack: &Stack) -> (u64, f64, usize, usize) {
    let drainer = drain(stack);
    let (api, state) = runtime().await;
    state.lock().unwrap().events = (0..events).map(|i| (f.events)(i).to_string()).collect();
    let mut child = spawn(bin, f, &api);
    let started = Instant::now();
    loop {
        let done = {
            let s = state.lock().unwrap();
            s.ok + s.failed
        };
        if done >= events {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{}: only {done} of {events} events",
            f.name
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    drainer.abort();
    let rss = peak_rss_kib(child.id());
    child.kill().ok();
    child.wait().ok();
    let s = state.lock().unwrap();
    (rss, events as f64 / elapsed, s.ok, s.failed)
}

fn function<P: Platform>(common: &[(String, String)]) -> Function {
    let mut env = common.to_vec();
    env.push((secret_var::<P>(), P::SECRETS.to_owned()));
    env.extend(P::ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Function {
        name: name::<P>(),
        label: name::<P>().to_owned(),
        count: events_per_run(),
        env,
        events: Box::new(|i| distinct::<P>(P::LIFECYCLE[0], &format!("bench{i}")).0),
    }
}

fn secret_var<P: Platform>() -> String {
    format!("{}_SECRET_JSON", name::<P>().to_uppercase())
}

fn functions(stack: &Stack, endpoint: &str) -> Vec<Function> {
    let common = vec![
        ("AWS_ENDPOINT_URL".to_owned(), endpoint.to_owned()),
        ("ORDERGATE_AWS_TIMEOUT_MS".to_owned(), "10000".to_owned()),
        ("TABLE_NAME".to_owned(), stack.table.clone()),
        ("QUEUE_URL".to_owned(), stack.queue_url.clone()),
        ("BLOB_BUCKET".to_owned(), stack.bucket.clone()),
    ];
    let mut worker = common.clone();
    worker.extend([
        (secret_var::<OlaClick>(), OlaClick::SECRETS.to_owned()),
        (secret_var::<Deliverect>(), Deliverect::SECRETS.to_owned()),
        (secret_var::<Ordatic>(), Ordatic::SECRETS.to_owned()),
        (secret_var::<Oolio>(), Oolio::SECRETS.to_owned()),
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
    vec![
        function::<OlaClick>(&common),
        function::<Deliverect>(&common),
        function::<Ordatic>(&common),
        function::<Oolio>(&common),
        proofs,
        // Cold start only: its load is platform callbacks, not deliveries.
        Function {
            name: "ack-worker",
            label: "ack-worker".into(),
            count: 0,
            env: worker,
            events: Box::new(|_| Value::Null),
        },
        Function {
            name: "publisher",
            label: "publisher".into(),
            count: 0,
            env: [
                common.as_slice(),
                &[("EVENT_BUS_NAME".to_owned(), "orders".to_owned())],
            ]
            .concat(),
            events: Box::new(|_| Value::Null),
        },
    ]
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
    println!("| function | cold start p50 | p90 | max | deliveries | peak RSS after them | events/s (emulator-bound) | ok / failed | arm64 size |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for f in functions(&stack, &endpoint) {
        let bin = bins.join(f.name);
        let starts = cold_starts(&bin, &f, 20).await;
        let arm = root().join(format!("target/lambda/{}/bootstrap", f.name));
        let size = std::fs::metadata(&arm).map_or("not built".into(), |m| {
            format!("{:.2} MiB", m.len() as f64 / 1048576.0)
        });
        let load = if f.count == 0 {
            "| | | | ".to_owned()
        } else {
            let (rss, rate, ok, failed) = load(&bin, &f, f.count, &stack).await;
            format!(
                "| {} | {:.1} MiB | {rate:.0} | {ok} / {failed} ",
                f.count,
                rss as f64 / 1024.0
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
}
