//! What every operation on a call works on ([`Context`]) and the helpers they all share:
//! reading the body, making an operation resource, the replies they give. Below the operations
//! (operations, media, participants, audio_routing, recording) and the surface that routes to
//! them, so none of those needs another for these.

use std::time::Duration;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::calls::{CallRecord, CallState};
use super::reply::Reply;
use super::script::RemoteScript;
use super::timeline::Timeline;
use super::GraphError;

/// Everything an operation works on.
pub struct Context<'a> {
    pub call: &'a mut CallRecord,
    pub timeline: &'a mut Timeline,
    pub script: &'a RemoteScript,
    /// `{graph}/{version}`, for `@odata.context`.
    pub api_base: String,
    /// The calls collection as the bot addressed it (`{graph}/v1.0/communications/calls`,
    /// `{graph}/beta/app/calls`, ...): operation `Location`s name the path the bot used.
    pub calls_url: String,
    /// The stand-in's base URL (recordings are served under it).
    pub public_base: String,
    pub answer_delay: Duration,
}

pub fn body_object(body: &[u8]) -> Result<Map<String, Value>, GraphError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(GraphError::bad_request(format!(
            "Invalid JSON in the request body: {e}."
        ))),
    }
}

/// The non-empty array at `key`, or a 400 saying `missing`.
pub fn non_empty<'b>(
    body: &'b Map<String, Value>,
    key: &str,
    missing: &str,
) -> Result<&'b Vec<Value>, GraphError> {
    body.get(key)
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty())
        .ok_or_else(|| GraphError::bad_request(missing))
}

/// `clientContext` as the pages limit it: a string of at most 256 characters.
pub fn client_context(body: &Map<String, Value>) -> Result<Value, GraphError> {
    match body.get("clientContext") {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(Value::String(s)) if s.chars().count() <= 256 => Ok(json!(s)),
        Some(Value::String(s)) => Err(GraphError::bad_request(format!(
            "clientContext can have a maximum of 256 characters; it has {}.",
            s.chars().count()
        ))),
        Some(other) => Err(GraphError::bad_request(format!(
            "clientContext must be a string, not {other}."
        ))),
    }
}

/// A new operation resource of `kind` (e.g. `recordOperation`).
pub fn new_operation(
    kind: &str,
    body: &Map<String, Value>,
    status: &str,
) -> Result<Value, GraphError> {
    Ok(json!({
        "@odata.type": format!("#microsoft.graph.{kind}"),
        "id": Uuid::new_v4().to_string(),
        "status": status,
        "clientContext": client_context(body)?,
        "resultInfo": null,
    }))
}

/// The answer that hands out an operation: `status`, the operation, and its `Location` under
/// the path the bot used.
pub fn located(cx: &Context<'_>, status: u16, op: &Value) -> Reply {
    let location = format!(
        "{}/{}/operations/{}",
        cx.calls_url,
        cx.call.id,
        op["id"].as_str().unwrap_or_default()
    );
    Reply::json(status, op.clone()).with_header("Location", location)
}

/// Operations that need the call connected: Graph cannot play to, record or route a call that
/// is not established.
pub fn require_established(call: &CallRecord, action: &str) -> Result<(), GraphError> {
    if call.state == CallState::Established {
        return Ok(());
    }
    Err(GraphError::bad_request(format!(
        "Cannot {action} a call in state {}: the call must be established.",
        call.state.as_str()
    )))
}

/// 404 for a child of a call that does not exist.
pub fn not_found(what: &str, id: &str) -> GraphError {
    GraphError::new(
        404,
        "itemNotFound",
        format!("{what} '{id}' was not found in the call."),
    )
}

/// `{"@odata.context", "value"}`, as Graph lists a collection.
pub fn collection(cx: &Context<'_>, name: &str, items: Vec<Value>) -> Reply {
    Reply::json(
        200,
        json!({
            "@odata.context": format!(
                "{}/$metadata#communications/calls('{}')/{name}",
                cx.api_base, cx.call.id
            ),
            "value": items,
        }),
    )
}
