//! A small HTTP request/response model for the functions behind a Lambda Function URL (and
//! `wapipe dev`), and the conversions from and to the Function URL event types.

use std::collections::BTreeMap;

use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use base64::Engine;

/// A request to a Function URL (or to `wapipe dev`), its body decoded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpRequest {
    /// The HTTP method in upper case (`GET`, `POST`).
    pub method: String,
    /// The raw path (`rawPath`), without the query string.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The body's bytes, base64-decoded when the Function URL marked it so.
    pub body: Vec<u8>,
}

/// A function's answer, as the Function URL sends it back.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header: the only header sent.
    pub content_type: &'static str,
    /// The body, as text.
    pub body: String,
}

impl HttpResponse {
    /// A `text/plain; charset=utf-8` answer.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        HttpResponse { status, content_type: "text/plain; charset=utf-8", body: body.into() }
    }
    /// An `application/json` answer holding `body`.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        HttpResponse { status, content_type: "application/json", body: body.to_string() }
    }
}

/// A Function URL request as an [`HttpRequest`]; a 400 response when its body is marked
/// base64 but is not.
pub fn from_function_url(req: LambdaFunctionUrlRequest) -> Result<HttpRequest, HttpResponse> {
    let body = match req.body {
        Some(b) if req.is_base64_encoded => base64::engine::general_purpose::STANDARD
            .decode(b.as_bytes())
            .map_err(|_| HttpResponse::text(400, "body is not valid base64"))?,
        Some(b) => b.into_bytes(),
        None => Vec::new(),
    };
    let mut headers = BTreeMap::new();
    for (name, value) in req.headers.iter() {
        if let Ok(v) = value.to_str() {
            headers.insert(name.as_str().to_ascii_lowercase(), v.to_string());
        }
    }
    Ok(HttpRequest {
        method: req.request_context.http.method.clone().unwrap_or_default().to_ascii_uppercase(),
        path: req.raw_path.clone().unwrap_or_default(),
        query: req.raw_query_string.clone().unwrap_or_default(),
        headers,
        body,
    })
}

/// An [`HttpResponse`] as the Function URL response.
pub fn to_function_url(out: HttpResponse) -> LambdaFunctionUrlResponse {
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = i64::from(out.status);
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static(out.content_type));
    response.headers = h;
    response.body = Some(out.body);
    response
}
