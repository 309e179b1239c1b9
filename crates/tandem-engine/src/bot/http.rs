//! Calls to business systems: plain HTTP/1.1 over hyper, one connection per call, the
//! whole exchange bounded by the action's timeout and the answer by size.

use std::time::Duration;

use async_trait::async_trait;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tandem_bot::{ActionCall, CallError, CallResponse};

/// The largest answer read from a business system.
const MAX_BODY: usize = 1024 * 1024;

/// Something that makes action calls (HTTP here; a fake in tests).
#[async_trait]
pub trait ActionCaller: Send + Sync {
    async fn call(&self, call: &ActionCall) -> Result<CallResponse, CallError>;
}

/// Calls over plain HTTP. HTTPS needs a TLS stack this build leaves out: such a call
/// fails with a message saying so (and the bot hands over, never hides it).
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpCaller;

#[async_trait]
impl ActionCaller for HttpCaller {
    async fn call(&self, call: &ActionCall) -> Result<CallResponse, CallError> {
        let limit = Duration::from_millis(call.timeout_ms);
        match tokio::time::timeout(limit, exchange(call)).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Timeout),
        }
    }
}

async fn exchange(call: &ActionCall) -> Result<CallResponse, CallError> {
    let uri: Uri = call.url.parse().map_err(|e| CallError::Failed(format!("not a valid URL: {e}")))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(CallError::Failed(
                "HTTPS calls are not built into this Tandem; use http:// or a local proxy".into(),
            ));
        }
        _ => return Err(CallError::Failed("the URL needs http://".into())),
    }
    let host = uri.host().ok_or_else(|| CallError::Failed("the URL has no host".into()))?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| CallError::Failed(format!("cannot connect to {host}:{port}: {e}")))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| CallError::Failed(format!("HTTP handshake with {host}:{port} failed: {e}")))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let method = Method::from_bytes(call.method.as_bytes()).map_err(|_| CallError::Failed("bad method".into()))?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
    let mut request =
        Request::builder().method(method).uri(path).header("host", authority).header("accept", "application/json");
    let body = match &call.body {
        Some(json) => {
            request = request.header("content-type", "application/json");
            serde_json::to_vec(json).map_err(|e| CallError::Failed(format!("cannot encode the body: {e}")))?
        }
        None => Vec::new(),
    };
    for (name, value) in &call.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request =
        request.body(Full::new(Bytes::from(body))).map_err(|e| CallError::Failed(format!("bad request: {e}")))?;
    let response =
        sender.send_request(request).await.map_err(|e| CallError::Failed(format!("the call failed: {e}")))?;
    let status = response.status().as_u16();
    let bytes = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| CallError::Failed(format!("reading the answer failed: {e}")))?
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok(CallResponse { status, body })
}
