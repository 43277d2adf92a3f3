//! The API's request and answer types: bounded JSON bodies with unknown fields rejected, the
//! same-origin and content-type rules for state changes, and errors in the Nomos envelope
//! `{code, message, requestId, errors?}`.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tiny_http::{Method, Request};

use crate::http::Reply;

/// API request bodies larger than this are refused.
pub const MAX_BODY: usize = 16 * 1024;
/// Webhook deliveries carry whole objects: their cap is larger.
pub const MAX_WEBHOOK_BODY: usize = 64 * 1024;

/// A request as the API sees it.
#[derive(Debug)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub query: String,
    /// Header names lower-cased; the last value wins.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub client: String,
    /// Scheme and host the request was made to, e.g. `http://lumio.localhost:8080`.
    pub origin: String,
    pub request_id: String,
}

impl ApiRequest {
    /// Reads the request's head and at most `max_body` bytes of its body.
    pub fn read(
        request: &mut Request,
        origin: String,
        request_id: String,
        max_body: usize,
    ) -> Result<Self, ApiError> {
        let headers: BTreeMap<String, String> = request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    h.value.as_str().to_owned(),
                )
            })
            .collect();
        if request.body_length().is_some_and(|n| n > max_body) {
            return Err(ApiError::payload_too_large(max_body));
        }
        let mut body = Vec::new();
        request
            .as_reader()
            .take(max_body as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        if body.len() > max_body {
            return Err(ApiError::payload_too_large(max_body));
        }
        let url = request.url().to_owned();
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        Ok(ApiRequest {
            method: request.method().clone(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
            client: request
                .remote_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            origin,
            request_id,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// A state change must come from the portal's own pages: same origin, JSON body.
    pub fn require_same_origin_json(&self) -> Result<(), ApiError> {
        let same_origin = match (self.header("sec-fetch-site"), self.header("origin")) {
            (Some(site), _) => site == "same-origin",
            (None, Some(origin)) => origin == self.origin,
            (None, None) => false,
        };
        if !same_origin {
            return Err(ApiError::new(
                403,
                "FORBIDDEN",
                "Requests that change data must come from the portal's own pages.",
            ));
        }
        self.require_json()
    }

    pub fn require_json(&self) -> Result<(), ApiError> {
        let json = self
            .header("content-type")
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
        if json {
            Ok(())
        } else {
            Err(ApiError::new(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "Send the request body as application/json.",
            ))
        }
    }

    /// The JSON body as `T`; unknown fields, wrong types and malformed JSON are 400 with the
    /// offending field named.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        let value: T = serde_path_to_error::deserialize(&mut de)
            .map_err(|err| invalid_body(err.path().to_string(), err.into_inner()))?;
        de.end().map_err(|err| invalid_body(".".to_owned(), err))?;
        Ok(value)
    }
}

fn invalid_body(field: String, err: serde_json::Error) -> ApiError {
    let message = err.to_string();
    let code = if message.starts_with("unknown field") {
        "unrecognized_keys"
    } else {
        "invalid_type"
    };
    let mut error = ApiError::bad_request("The request body is not valid.");
    error.errors.push(FieldError {
        code,
        field: (field != ".").then_some(field),
        message,
    });
    error
}

/// One problem with one field of a request.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub errors: Vec<FieldError>,
    /// Seconds, for 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BAD_REQUEST", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "UNAUTHORIZED", message)
    }

    pub fn not_found() -> Self {
        Self::new(404, "NOT_FOUND", "Not found.")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "METHOD_NOT_ALLOWED",
            "This method is not allowed here.",
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("The request body is larger than {limit} bytes."),
        )
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut error = Self::new(
            429,
            "TOO_MANY_REQUESTS",
            format!("Too many requests. Try again in {retry_after} seconds."),
        );
        error.retry_after = Some(retry_after.max(1));
        error
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            "INTERNAL_SERVER_ERROR",
            "Something went wrong on our side. Please try again.",
        )
    }

    /// The error as an answer in the Nomos envelope.
    pub fn into_answer(self, request_id: &str) -> Answer {
        let mut body = json!({
            "code": self.code,
            "message": self.message,
            "requestId": request_id,
        });
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        let mut answer = Answer::json(self.status, body);
        if let Some(seconds) = self.retry_after {
            answer
                .headers
                .push(("Retry-After".into(), seconds.to_string()));
        }
        answer
    }
}

/// Any store failure is an internal error to the client; the detail goes to the log.
impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        crate::edge::log(&format!("store error: {err}"));
        ApiError::internal()
    }
}

impl From<crate::edge::store::StoreError> for ApiError {
    fn from(err: crate::edge::store::StoreError) -> Self {
        crate::edge::log(&format!("store error: {err}"));
        ApiError::internal()
    }
}

/// A successful (or error) API answer before it is written.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
    /// A body that is not JSON (a document download): its content type and bytes.
    pub file: Option<(String, Vec<u8>)>,
}

impl Answer {
    pub fn json(status: u16, body: Value) -> Self {
        Answer {
            status,
            body: Some(body),
            headers: Vec::new(),
            file: None,
        }
    }

    /// A JSON answer serialized straight from `body`, without building a `Value` tree first:
    /// for large answers on hot paths (the dashboard). The bytes travel as the body `file`.
    pub fn json_from<T: Serialize>(status: u16, body: &T) -> Result<Self, ApiError> {
        let bytes = serde_json::to_vec(body).map_err(|_| ApiError::internal())?;
        Ok(Answer {
            status,
            body: None,
            headers: Vec::new(),
            file: Some(("application/json".to_owned(), bytes)),
        })
    }

    pub fn no_content() -> Self {
        Answer {
            status: 204,
            body: None,
            headers: Vec::new(),
            file: None,
        }
    }

    /// A file to download (200), saved under `filename` (ASCII) by the browser.
    pub fn file(content_type: &str, bytes: Vec<u8>, filename: &str) -> Self {
        Answer {
            status: 200,
            body: None,
            headers: vec![(
                "Content-Disposition".to_owned(),
                format!("attachment; filename=\"{filename}\""),
            )],
            file: Some((content_type.to_owned(), bytes)),
        }
    }

    pub fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }

    pub fn into_reply(self, request_id: &str) -> Reply {
        let (content_type, body) = match self.file {
            Some((content_type, bytes)) => (content_type, bytes),
            None => (
                "application/json".to_owned(),
                self.body
                    .map(|b| serde_json::to_vec(&b).unwrap_or_default())
                    .unwrap_or_default(),
            ),
        };
        let mut reply = Reply::new(self.status, &content_type, body)
            .header("Cache-Control", "no-store")
            .header("X-Content-Type-Options", "nosniff")
            .header("X-Request-Id", request_id);
        for (name, value) in &self.headers {
            reply = reply.header(name, value);
        }
        reply
    }
}
