//! `ordergate-local`: the deployed stack's front half on this machine, for `make dev` and
//! the tests — API Gateway's HTTP API on one port (the template's routes) in front of
//! Lambda (several instances of each function's real binary behind a Runtime API), with
//! hot reload. It replaces `cargo lambda watch`, which serves one instance per function,
//! wedges under ~200 concurrent requests and answers a non-UTF-8 body with a 500 itself.
//!
//! Usage: ordergate-local --config FILE [--port 9000] [--instances 4] [--bin-dir target/debug]
//!        [--watch]   (rebuild with `cargo build --bins` when sources change, then reload)

mod config;
mod gateway;
mod runtime;
mod watch;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use tokio::net::TcpListener;

/// Serves HTTP/1.1 (keep-alive) on `listener` with `handle`, one task per connection.
pub async fn serve<F, Fut>(listener: TcpListener, handle: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let handle = handle.clone();
                async move { Ok::<_, Infallible>(handle(req).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

struct Args {
    config: PathBuf,
    port: u16,
    instances: usize,
    bin_dir: PathBuf,
    watch: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        config: PathBuf::new(),
        port: 9000,
        instances: 4,
        bin_dir: PathBuf::from("target/debug"),
        watch: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--config" => a.config = value()?.into(),
            "--port" => a.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--instances" => a.instances = value()?.parse().map_err(|e| format!("--instances: {e}"))?,
            "--bin-dir" => a.bin_dir = value()?.into(),
            "--watch" => a.watch = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.config.as_os_str().is_empty() {
        return Err("--config FILE is required (infra/local/local_config.py writes it)".into());
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = args()?;
    let text =
        std::fs::read_to_string(&args.config).map_err(|e| format!("{}: {e}", args.config.display()))?;
    let config: config::Config = serde_json::from_str(&text).map_err(|e| format!("config: {e}"))?;
    let mut functions = BTreeMap::new();
    for (name, f) in &config.functions {
        let pool = runtime::Pool::start(name, f, args.bin_dir.clone(), args.instances).await;
        functions.insert(name.clone(), pool.clone());
        functions.insert(f.binary.clone(), pool);
    }
    let routes = config
        .routes
        .iter()
        .map(|(route, function)| {
            let pool = functions
                .get(function)
                .cloned()
                .ok_or_else(|| format!("route {route}: no function {function}"))?;
            Ok((route.clone(), pool))
        })
        .collect::<Result<_, String>>()?;
    let gateway = Arc::new(gateway::Gateway {
        routes,
        functions: functions.clone(),
    });
    if args.watch {
        tokio::spawn(watch::rebuild_and_reload(
            config.clone(),
            args.bin_dir.clone(),
            functions,
        ));
    }
    let listener = TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| format!("port {}: {e}", args.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "ordergate-local: http://{addr}  ({} instances per function)",
        args.instances
    );
    for route in config.routes.keys() {
        println!("  {route}");
    }
    println!("  POST /2015-03-31/functions/<function>/invocations");
    // Ctrl-C or SIGTERM (gateway.sh stop): returning drops the instances (kill_on_drop).
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("signal handler: {e}"))?;
    tokio::select! {
        _ = serve(listener, move |req| {
            let gateway = gateway.clone();
            async move { gateway.handle(req, "127.0.0.1".into()).await }
        }) => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    Ok(())
}
