//! What a Graph route answers on success, before the router turns it into the wire's reply.
//! Its own module so that the route modules (`admin`, `operations`) and the router that
//! dispatches to them do not import each other.

use serde_json::Value;

/// A successful answer.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) body: Option<ReplyBody>,
}

/// A JSON body, as a value or already encoded.
pub(super) enum ReplyBody {
    Json(Value),
    /// Encoded where the value is kept (a call's resource): copying it out first costs more
    /// than encoding it.
    Encoded(Vec<u8>),
}

impl Reply {
    pub(super) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(ReplyBody::Json(body)),
        }
    }

    /// `body` encoded now, in place.
    pub(super) fn encoded(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            // Encoding a `Value` cannot fail.
            body: Some(ReplyBody::Encoded(
                serde_json::to_vec(body).expect("a JSON value encodes"),
            )),
        }
    }

    pub(super) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub(super) fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}
