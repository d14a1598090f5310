//! A webhook URL on 127.0.0.1 in front of a pipeline — what API Gateway is to the deployed
//! functions — so tools that speak HTTP (the CLI's `send`) can be tested end to end.

use std::sync::Arc;

use lambda_http::Body;
use ordergate_shared::{Pipeline, Provider};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Serves `pipeline` until the test ends; returns the base URL.
pub async fn serve<P: Provider>(pipeline: Pipeline<P>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let pipeline = Arc::new(pipeline);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(one_request(stream, pipeline.clone()));
        }
    });
    url
}

/// Reads one HTTP/1.1 request, answers it, closes the connection.
async fn one_request<P: Provider>(stream: TcpStream, pipeline: Arc<Pipeline<P>>) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("GET").to_owned(),
        parts.next().unwrap_or("/").to_owned(),
    );
    let mut request = lambda_http::http::Request::builder()
        .method(method.as_str())
        .uri(path);
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.unwrap_or(0);
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
            request = request.header(k.trim(), v.trim());
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return;
    }
    let request = request.body(Body::Binary(body)).expect("a valid request");
    let response = pipeline.handle(request).await;
    let mut out = format!("HTTP/1.1 {}\r\nconnection: close\r\n", response.status());
    for (k, v) in response.headers() {
        out.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap_or_default()));
    }
    let body: &[u8] = response.body().as_ref();
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let stream = reader.get_mut();
    let _ = stream.write_all(out.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}
