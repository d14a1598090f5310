//! Lambda for one function: a pool of instances of the function's real binary, each with
//! its own Runtime API on 127.0.0.1, taking events from one queue as Lambda runs them (one
//! event at a time per instance, several instances side by side). An instance that exits is
//! started again and the invocation it held is answered at once as Lambda would (an error),
//! never left hanging; a reload replaces instances between events.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::config::Function;

/// Request ids, unique across functions.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// What an invocation ended with: the function's response, or why there is none.
pub type Outcome = Result<Bytes, String>;

struct Invocation {
    payload: Bytes,
    reply: oneshot::Sender<Outcome>,
}

/// One function's Lambda.
pub struct Pool {
    pub name: String,
    timeout: Duration,
    queue: mpsc::Sender<Invocation>,
    next: Mutex<mpsc::Receiver<Invocation>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    /// Bumped to replace every instance (a new binary after a rebuild).
    generation: AtomicU64,
}

impl Pool {
    /// Starts the Runtime API and `instances` copies of `function`'s binary.
    pub async fn start(name: &str, function: &Function, bin_dir: PathBuf, instances: usize) -> Arc<Pool> {
        let (queue, next) = mpsc::channel(10_000);
        let pool = Arc::new(Pool {
            name: name.to_owned(),
            timeout: Duration::from_secs(function.timeout),
            queue,
            next: Mutex::new(next),
            in_flight: Mutex::default(),
            generation: AtomicU64::new(0),
        });
        for n in 0..instances {
            // One Runtime API per instance: which instance holds which event is then known.
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
            let api = listener.local_addr().expect("bound").to_string();
            let holding = Holding::default();
            let (served, held) = (pool.clone(), holding.clone());
            tokio::spawn(crate::serve(listener, move |req| {
                let (pool, held) = (served.clone(), held.clone());
                async move { pool.runtime_api(req, &held).await }
            }));
            let bin = bin_dir.join(&function.binary);
            tokio::spawn(supervise(pool.clone(), function.clone(), bin, api, n, holding));
        }
        pool
    }

    /// Runs one invocation: waits for a free instance, then for its answer. As on Lambda,
    /// the function's timeout runs from when an instance takes the event; unlike Lambda,
    /// which would start more instances, a burst waits in line here (the emulator behind
    /// the functions sets the pace), so API Gateway's 30 s limit is not applied locally.
    pub async fn invoke(&self, payload: Bytes) -> Outcome {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Invocation { payload, reply })
            .await
            .map_err(|_| "the function's pool is gone".to_owned())?;
        match tokio::time::timeout(Duration::from_secs(600), answer).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err("the instance ended without answering".into()),
            Err(_) => Err("no instance took the event within 10 minutes".into()),
        }
    }

    /// Replaces every instance (they exit after the event they hold, if any).
    pub fn reload(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    async fn runtime_api(self: &Arc<Self>, req: Request<Incoming>, held: &Holding) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_owned();
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let tail = path.strip_prefix("/2018-06-01/runtime/").unwrap_or_default();
        match tail.split('/').collect::<Vec<_>>().as_slice() {
            ["invocation", "next"] => self.next_invocation(held).await,
            ["invocation", id, "response"] => self.finish(id, Ok(body), held).await,
            ["invocation", id, "error"] => {
                let error = format!("function error: {}", String::from_utf8_lossy(&body));
                self.finish(id, Err(error), held).await
            }
            ["init", "error"] => {
                eprintln!(
                    "ordergate-local: {} failed to start: {}",
                    self.name,
                    String::from_utf8_lossy(&body)
                );
                reply(202, Bytes::new())
            }
            _ => reply(
                404,
                Bytes::from_static(b"{\"message\":\"no such runtime route\"}"),
            ),
        }
    }

    async fn next_invocation(self: &Arc<Self>, held: &Holding) -> Response<Full<Bytes>> {
        let Some(invocation) = self.next.lock().await.recv().await else {
            return reply(410, Bytes::new());
        };
        let id = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            std::process::id(),
            NEXT_ID.fetch_add(1, Ordering::SeqCst)
        );
        self.in_flight.lock().await.insert(id.clone(), invocation.reply);
        *held.0.lock().await = Some(id.clone());
        let (pool, timed) = (self.clone(), id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(pool.timeout).await;
            if let Some(sender) = pool.in_flight.lock().await.remove(&timed) {
                let _ = sender.send(Err(format!(
                    "Task timed out after {} seconds",
                    pool.timeout.as_secs()
                )));
            }
        });
        let deadline = chrono::Utc::now().timestamp_millis() + self.timeout.as_millis() as i64;
        let mut response = reply(200, invocation.payload);
        let headers = response.headers_mut();
        headers.insert("lambda-runtime-aws-request-id", id.parse().expect("ascii"));
        headers.insert(
            "lambda-runtime-deadline-ms",
            deadline.to_string().parse().expect("digits"),
        );
        headers.insert(
            "lambda-runtime-invoked-function-arn",
            format!("arn:aws:lambda:us-east-1:123456789012:function:{}", self.name)
                .parse()
                .expect("ascii"),
        );
        headers.insert(
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000".parse().expect("ascii"),
        );
        response
    }

    async fn finish(&self, id: &str, outcome: Outcome, held: &Holding) -> Response<Full<Bytes>> {
        held.0.lock().await.take();
        match self.in_flight.lock().await.remove(id) {
            Some(sender) => {
                let _ = sender.send(outcome);
                reply(202, Bytes::new())
            }
            None => reply(
                400,
                Bytes::from_static(b"{\"message\":\"unknown or finished invocation\"}"),
            ),
        }
    }
}

fn reply(status: u16, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = hyper::StatusCode::from_u16(status).expect("a valid status");
    r.headers_mut()
        .insert("content-type", "application/json".parse().expect("ascii"));
    r
}

/// The event an instance is working on, if any.
#[derive(Clone, Default)]
struct Holding(Arc<Mutex<Option<String>>>);

/// Keeps instance `n` of a function running: starts it, and starts it again when it exits
/// (failing the event it held) or, between events, when the pool is reloaded.
async fn supervise(
    pool: Arc<Pool>,
    function: Function,
    bin: PathBuf,
    api: String,
    n: usize,
    holding: Holding,
) {
    loop {
        let generation = pool.generation.load(Ordering::SeqCst);
        let mut child = match tokio::process::Command::new(&bin)
            .env_clear()
            .envs(&function.env)
            .env("AWS_LAMBDA_RUNTIME_API", &api)
            .env("AWS_LAMBDA_FUNCTION_NAME", &pool.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", function.memory.to_string())
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", pool.name))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("local/{n}"))
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                eprintln!(
                    "ordergate-local: cannot start {} ({}): {e}",
                    pool.name,
                    bin.display()
                );
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        loop {
            tokio::select! {
                status = child.wait() => {
                    eprintln!("ordergate-local: {} instance {n} exited ({status:?}); starting it again", pool.name);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
                _ = tokio::time::sleep(Duration::from_millis(500)) => {
                    let idle = holding.0.lock().await.is_none();
                    if idle && pool.generation.load(Ordering::SeqCst) != generation {
                        let _ = child.kill().await;
                        break;
                    }
                }
            }
        }
        // An event taken just before the instance ended is answered, not left waiting.
        if let Some(id) = holding.0.lock().await.take() {
            if let Some(sender) = pool.in_flight.lock().await.remove(&id) {
                let _ = sender.send(Err("Runtime exited before answering".into()));
            }
        }
    }
}
