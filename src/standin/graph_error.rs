//! The Graph error envelope: every request the stand-in refuses gets one, never a panic.

use serde_json::{json, Value};

/// A Graph error: HTTP status, `error.code` and `error.message`.
///
/// Rendered as `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
/// with the request's ids filled in by the router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Extra response headers, e.g. `Retry-After` on 429.
    pub headers: Vec<(String, String)>,
}

impl GraphError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 404 with Graph's calling code 8522, for any operation on an unknown or ended call.
    pub fn call_not_found() -> Self {
        Self::new(404, "8522", "Call not found.")
    }

    pub fn missing_media_config() -> Self {
        Self::new(400, "8523", "Missing mediaConfig information.")
    }

    /// The envelope body for this error.
    pub fn body(&self, date: &str, request_id: &str, client_request_id: &str) -> Value {
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": date,
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                }
            }
        })
    }
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for GraphError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_carries_code_message_and_ids() {
        let body = GraphError::call_not_found().body("2026-01-01T00:00:00", "r-1", "c-1");
        assert_eq!(body["error"]["code"], "8522");
        assert_eq!(body["error"]["message"], "Call not found.");
        assert_eq!(body["error"]["innerError"]["request-id"], "r-1");
        assert_eq!(body["error"]["innerError"]["client-request-id"], "c-1");
        assert_eq!(body["error"]["innerError"]["date"], "2026-01-01T00:00:00");
    }
}
