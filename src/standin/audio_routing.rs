//! Audio routing groups of a call (call-post-audioroutinggroups.md and the list, get, update
//! and delete pages): which participants' audio goes to which. Sources and receivers name
//! participants of the call's roster.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::context::Context;
use super::context::{collection, not_found};
use super::reply::Reply;
use super::GraphError;

const MODES: [&str; 2] = ["oneToOne", "multicast"];

fn participant_ids(
    group: &Map<String, Value>,
    key: &str,
    cx: &Context<'_>,
) -> Result<(), GraphError> {
    let list = group
        .get(key)
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "{key} is required: a collection of participant ids."
            ))
        })?;
    for (i, id) in list.iter().enumerate() {
        let Some(id) = id.as_str() else {
            return Err(GraphError::bad_request(format!(
                "{key}[{i}] must be a participant id (a string)."
            )));
        };
        if !cx.call.participants.iter().any(|p| p.id == id) {
            return Err(GraphError::bad_request(format!(
                "{key}[{i}] '{id}' is not a participant of the call."
            )));
        }
    }
    Ok(())
}

/// The group's rules: a routing mode, sources and receivers from the roster, and one receiver
/// for `oneToOne`.
fn validate(group: &Map<String, Value>, cx: &Context<'_>) -> Result<(), GraphError> {
    match group.get("routingMode").and_then(Value::as_str) {
        Some(mode) if MODES.contains(&mode) => {}
        Some(other) => {
            return Err(GraphError::bad_request(format!(
                "routingMode is '{other}': possible values are oneToOne and multicast."
            )))
        }
        None => {
            return Err(GraphError::bad_request(
                "routingMode is required: oneToOne or multicast.",
            ))
        }
    }
    participant_ids(group, "sources", cx)?;
    participant_ids(group, "receivers", cx)?;
    let receivers = group["receivers"].as_array().map_or(0, Vec::len);
    if group["routingMode"] == "oneToOne" && receivers != 1 {
        return Err(GraphError::bad_request(format!(
            "A oneToOne audio routing group has one receiver; receivers has {receivers}."
        )));
    }
    Ok(())
}

fn shaped(group: &Map<String, Value>) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.audioRoutingGroup",
        "id": group["id"],
        "routingMode": group["routingMode"],
        "sources": group["sources"],
        "receivers": group["receivers"],
    })
}

fn position(id: &str, cx: &Context<'_>) -> Result<usize, GraphError> {
    cx.call
        .extras
        .audio_routing_groups
        .iter()
        .position(|g| g["id"].as_str() == Some(id))
        .ok_or_else(|| not_found("Audio routing group", id))
}

/// `POST audioRoutingGroups`: 200 with the group (its `id` as sent, or a new one).
pub fn create(mut group: Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    group.remove("@odata.type");
    validate(&group, &cx)?;
    match group.get("id") {
        Some(Value::String(id)) if !id.is_empty() => {
            if position(id, &cx).is_ok() {
                return Err(GraphError::new(
                    409,
                    "Conflict",
                    format!("An audio routing group with id '{id}' already exists."),
                ));
            }
        }
        None | Some(Value::Null) => {
            group.insert("id".into(), json!(Uuid::new_v4().to_string()));
        }
        Some(other) => {
            return Err(GraphError::bad_request(format!(
                "id must be a string, not {other}."
            )))
        }
    }
    let group = shaped(&group);
    cx.call.extras.audio_routing_groups.push(group.clone());
    Ok(Reply::json(200, group))
}

/// `GET audioRoutingGroups`.
pub fn list(cx: &Context<'_>) -> Reply {
    collection(
        cx,
        "audioRoutingGroups",
        cx.call.extras.audio_routing_groups.clone(),
    )
}

/// `GET audioRoutingGroups/{id}`.
pub fn get(id: &str, cx: &Context<'_>) -> Result<Reply, GraphError> {
    let at = position(id, cx)?;
    Ok(Reply::json(
        200,
        cx.call.extras.audio_routing_groups[at].clone(),
    ))
}

/// `PATCH audioRoutingGroups/{id}`: the fields sent replace the group's; 200 with the group.
pub fn update(id: &str, changes: Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    let at = position(id, &cx)?;
    let mut group = cx.call.extras.audio_routing_groups[at]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (key, value) in changes {
        match key.as_str() {
            "routingMode" | "sources" | "receivers" => {
                group.insert(key, value);
            }
            "id" if value.as_str() == Some(id) => {}
            "@odata.type" => {}
            other => {
                return Err(GraphError::bad_request(format!(
                    "'{other}' is not a property of audioRoutingGroup that can be updated: \
                     routingMode, sources, receivers."
                )))
            }
        }
    }
    validate(&group, &cx)?;
    let group = shaped(&group);
    cx.call.extras.audio_routing_groups[at] = group.clone();
    Ok(Reply::json(200, group))
}

/// `DELETE audioRoutingGroups/{id}`: 204.
pub fn delete(id: &str, cx: Context<'_>) -> Result<Reply, GraphError> {
    let at = position(id, &cx)?;
    cx.call.extras.audio_routing_groups.remove(at);
    Ok(Reply::empty(204))
}
