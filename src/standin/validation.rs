//! Create-call request validation: what Graph refuses, refused the same way. Pure.

use serde_json::{Map, Value};

use super::calls::CallKind;
use super::GraphError;

/// The most targets a group call takes.
pub const MAX_GROUP_TARGETS: usize = 5;
/// Largest request body the stand-in reads (the stand-in's own limit).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const MEDIA_CONFIG_TYPES: &[&str] = &[
    "#microsoft.graph.serviceHostedMediaConfig",
    "#microsoft.graph.appHostedMediaConfig",
];
const MODALITIES: &[&str] = &[
    "audio",
    "video",
    "videoBasedScreenSharing",
    "data",
    "unknown",
];

/// Whether `callbackUri` may use plain http on loopback (mock mode) or must be https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackPolicy {
    HttpsOnly,
    AllowLoopbackHttp,
}

/// Parses and checks a create-call body; returns the JSON object on success.
pub fn validate_create(
    content_type: Option<&str>,
    body: &[u8],
    policy: CallbackPolicy,
) -> Result<Map<String, Value>, GraphError> {
    let is_json = content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(GraphError::new(
            415,
            "UnsupportedMediaType",
            "Content-Type must be application/json.",
        ));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(GraphError::new(
            413,
            "RequestEntityTooLarge",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| GraphError::bad_request(format!("Invalid JSON in the request body: {e}.")))?;
    let Value::Object(call) = value else {
        return Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        ));
    };
    check_callback(&call, policy)?;
    check_media(&call)?;
    check_modalities(&call)?;
    check_shape(&call)?;
    check_identity_types(&call)?;
    check_call_options(&call)?;
    check_ringing_timeout(&call)?;
    check_pstn_source(&call)?;
    Ok(call)
}

/// The most `ringingTimeoutInSeconds` takes (call resource page: "The max value for this
/// attribute is 115 seconds").
pub const MAX_RINGING_TIMEOUT_SECONDS: u64 = 115;

/// The flags of `outgoingCallOptions` (current v1.0/beta pages and the metadata schema).
const CALL_OPTION_FLAGS: &[&str] = &[
    "hideBotAfterEscalation",
    "isContentSharingNotificationEnabled",
    "isDeltaRosterEnabled",
    "isInteractiveRosterEnabled",
];

fn check_call_options(call: &Map<String, Value>) -> Result<(), GraphError> {
    let Some(options) = call.get("callOptions").filter(|o| !o.is_null()) else {
        return Ok(());
    };
    let options = options
        .as_object()
        .ok_or_else(|| GraphError::bad_request("callOptions must be an object."))?;
    if let Some(kind) = options.get("@odata.type") {
        if kind.as_str() != Some("#microsoft.graph.outgoingCallOptions") {
            return Err(GraphError::bad_request(format!(
                "callOptions of a new call must be #microsoft.graph.outgoingCallOptions, not {kind}."
            )));
        }
    }
    for flag in CALL_OPTION_FLAGS {
        if let Some(value) = options
            .get(*flag)
            .filter(|v| !v.is_null() && !v.is_boolean())
        {
            return Err(GraphError::bad_request(format!(
                "callOptions.{flag} must be true or false, not {value}."
            )));
        }
    }
    Ok(())
}

fn check_ringing_timeout(call: &Map<String, Value>) -> Result<(), GraphError> {
    match call.get("ringingTimeoutInSeconds") {
        None | Some(Value::Null) => Ok(()),
        Some(v) => match v.as_u64() {
            Some(1..=MAX_RINGING_TIMEOUT_SECONDS) => Ok(()),
            _ => Err(GraphError::bad_request(format!(
                "ringingTimeoutInSeconds must be a whole number from 1 to {MAX_RINGING_TIMEOUT_SECONDS}, not {v}."
            ))),
        },
    }
}

/// A peer-to-peer call to a phone number must come from an application instance with a number
/// assigned (current v1.0 page, example 9). Group calls are left alone: the current pages
/// document VoIP group calls only, and the 2019 beta page's group call includes a phone.
fn check_pstn_source(call: &Map<String, Value>) -> Result<(), GraphError> {
    let calls_a_phone = call
        .get("targets")
        .and_then(Value::as_array)
        .filter(|t| t.len() == 1)
        .is_some_and(|t| t[0]["identity"]["phone"].is_object());
    let from_instance = call
        .get("source")
        .is_some_and(|s| s["identity"]["applicationInstance"].is_object());
    if calls_a_phone && !from_instance {
        return Err(GraphError::bad_request(
            "A call to a phone number needs source.identity.applicationInstance: an application instance with a phone number assigned.",
        ));
    }
    Ok(())
}

/// The meetingInfo types a join may use, and the property each one needs (an organizer join
/// needs chatInfo instead: checked by the caller).
const MEETING_INFO_TYPES: &[(&str, Option<&str>)] = &[
    ("#microsoft.graph.organizerMeetingInfo", None),
    ("#microsoft.graph.tokenMeetingInfo", Some("token")),
    (
        "#microsoft.graph.joinMeetingIdMeetingInfo",
        Some("joinMeetingId"),
    ),
];

/// Checks a meeting join's `meetingInfo`; returns whether it also needs `chatInfo` (only an
/// organizer join does: joins by id or token find the chat themselves).
fn check_meeting_info(call: &Map<String, Value>) -> Result<bool, GraphError> {
    let info = &call["meetingInfo"];
    let Some(kind) = info.get("@odata.type").and_then(Value::as_str) else {
        // The 2019 beta page's joins send an organizerMeetingInfo without its type.
        return Ok(true);
    };
    let Some((_, needs)) = MEETING_INFO_TYPES.iter().find(|(t, _)| *t == kind) else {
        let known: Vec<&str> = MEETING_INFO_TYPES.iter().map(|(t, _)| *t).collect();
        return Err(GraphError::bad_request(format!(
            "Unknown meetingInfo type '{kind}': use one of {}.",
            known.join(", ")
        )));
    };
    let Some(needs) = needs else {
        return Ok(true);
    };
    let present = match &info[*needs] {
        Value::String(s) => !s.is_empty(),
        Value::Object(_) => true,
        _ => false,
    };
    if !present {
        return Err(GraphError::bad_request(format!(
            "A {} needs {needs}.",
            kind.trim_start_matches("#microsoft.graph.")
        )));
    }
    Ok(false)
}

fn check_callback(call: &Map<String, Value>, policy: CallbackPolicy) -> Result<(), GraphError> {
    let Some(uri) = call
        .get("callbackUri")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
    else {
        return Err(GraphError::bad_request("callbackUri is required."));
    };
    let url = url::Url::parse(uri).map_err(|_| {
        GraphError::bad_request(format!("callbackUri '{uri}' is not an absolute URL."))
    })?;
    let loopback = super::is_loopback(&url);
    let allowed = url.scheme() == "https"
        || (url.scheme() == "http" && loopback && policy == CallbackPolicy::AllowLoopbackHttp);
    if !allowed {
        return Err(GraphError::bad_request(format!(
            "callbackUri '{uri}' must use https."
        )));
    }
    Ok(())
}

fn check_media(call: &Map<String, Value>) -> Result<(), GraphError> {
    let Some(media) = call.get("mediaConfig").filter(|m| !m.is_null()) else {
        return Err(GraphError::missing_media_config());
    };
    match media.get("@odata.type").and_then(Value::as_str) {
        Some(t) if MEDIA_CONFIG_TYPES.contains(&t) => Ok(()),
        Some(t) => Err(GraphError::bad_request(format!(
            "Unknown mediaConfig type '{t}'."
        ))),
        None => Err(GraphError::bad_request("mediaConfig needs an @odata.type.")),
    }
}

fn check_modalities(call: &Map<String, Value>) -> Result<(), GraphError> {
    // The 2019 beta page's first example omits requestedModalities: absent means audio there.
    let Some(modalities) = call.get("requestedModalities") else {
        return Ok(());
    };
    let list = modalities
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| GraphError::bad_request("requestedModalities must be a non-empty array."))?;
    for m in list {
        match m.as_str() {
            Some(s) if MODALITIES.contains(&s) => {}
            _ => {
                return Err(GraphError::bad_request(format!(
                    "Unknown modality {m} in requestedModalities."
                )))
            }
        }
    }
    Ok(())
}

/// An identity's `id` and `displayName` are `Edm.String` (identity resource page): Graph's
/// OData reader refuses any other JSON type with "Cannot convert the literal '…' to the expected
/// type 'Edm.String'." (msgraph-sdk-powershell #3304, a number sent for a String property).
/// A phone number sent as the JSON number 14255550123 is refused the same way.
fn check_identity_types(call: &Map<String, Value>) -> Result<(), GraphError> {
    let sets = call
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(call.get("source"))
        .filter_map(|participant| participant.get("identity")?.as_object());
    for set in sets {
        for identity in set
            .iter()
            .filter(|(k, _)| !k.starts_with('@'))
            .filter_map(|(_, v)| v.as_object())
        {
            for key in ["id", "displayName"] {
                match identity.get(key) {
                    None | Some(Value::Null) | Some(Value::String(_)) => {}
                    Some(other) => {
                        return Err(GraphError::bad_request(format!(
                            "Cannot convert the literal '{}' to the expected type 'Edm.String'.",
                            literal(other)
                        )))
                    }
                }
            }
        }
    }
    Ok(())
}

/// A JSON value as OData names it in a conversion error: numbers and booleans as written.
fn literal(value: &Value) -> String {
    match value {
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    }
}

fn check_shape(call: &Map<String, Value>) -> Result<(), GraphError> {
    let body = Value::Object(call.clone());
    let targets = call.get("targets").and_then(Value::as_array);
    match CallKind::classify(&body) {
        CallKind::Meeting | CallKind::GuestMeeting => {
            let needs_chat = check_meeting_info(call)?;
            if needs_chat && call.get("chatInfo").is_none_or(Value::is_null) {
                return Err(GraphError::bad_request("Joining a meeting needs chatInfo."));
            }
        }
        CallKind::PeerToPeer | CallKind::Group => {
            let targets = targets.filter(|t| !t.is_empty()).ok_or_else(|| {
                GraphError::bad_request("A call needs at least one target, or chatInfo and meetingInfo to join a meeting.")
            })?;
            if targets.len() > MAX_GROUP_TARGETS {
                return Err(GraphError::bad_request(format!(
                    "A group call takes at most {MAX_GROUP_TARGETS} targets; {} were given.",
                    targets.len()
                )));
            }
            for (i, target) in targets.iter().enumerate() {
                let has_identity = target["identity"]
                    .as_object()
                    .is_some_and(|id| id.iter().any(|(k, v)| !k.starts_with('@') && v.is_object()));
                if !has_identity {
                    return Err(GraphError::bad_request(format!(
                        "targets[{i}] has no identity."
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JSON: Option<&str> = Some("application/json; charset=utf-8");

    fn p2p() -> Value {
        json!({
            "callbackUri": "https://bot.contoso.com/callback",
            "targets": [{"identity": {"user": {"id": "u"}}}],
            "requestedModalities": ["audio"],
            "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
        })
    }

    fn check(body: &Value) -> Result<Map<String, Value>, GraphError> {
        validate_create(
            JSON,
            body.to_string().as_bytes(),
            CallbackPolicy::AllowLoopbackHttp,
        )
    }

    fn error_of(mut body: Value, edit: impl FnOnce(&mut Value)) -> GraphError {
        edit(&mut body);
        check(&body).unwrap_err()
    }

    #[test]
    fn accepts_a_documented_request() {
        assert!(check(&p2p()).is_ok());
    }

    #[test]
    fn refuses_what_graph_refuses() {
        let e = error_of(p2p(), |b| {
            drop(b.as_object_mut().unwrap().remove("mediaConfig"))
        });
        assert_eq!((e.status, e.code.as_str()), (400, "8523"));
        let e = error_of(p2p(), |b| {
            drop(b.as_object_mut().unwrap().remove("callbackUri"))
        });
        assert_eq!(e.message, "callbackUri is required.");
        let e = error_of(p2p(), |b| {
            b["callbackUri"] = json!("http://bot.contoso.com/cb")
        });
        assert!(e.message.contains("must use https"), "{e}");
        let e = error_of(p2p(), |b| b["requestedModalities"] = json!([]));
        assert!(e.message.contains("non-empty"), "{e}");
        let e = error_of(p2p(), |b| b["requestedModalities"] = json!(["smell"]));
        assert!(e.message.contains("Unknown modality"), "{e}");
        let e = error_of(p2p(), |b| b["mediaConfig"]["@odata.type"] = json!("#x"));
        assert!(e.message.contains("Unknown mediaConfig"), "{e}");
        let e = error_of(p2p(), |b| b["targets"] = json!([]));
        assert!(e.message.contains("at least one target"), "{e}");
        let e = error_of(p2p(), |b| b["targets"] = json!([{"identity": {}}]));
        assert_eq!(e.message, "targets[0] has no identity.");
        let six = Value::Array(vec![json!({"identity": {"user": {"id": "u"}}}); 6]);
        let e = error_of(p2p(), |b| b["targets"] = six);
        assert!(e.message.contains("at most 5"), "{e}");
        let e = error_of(p2p(), |b| b["meetingInfo"] = json!({"organizer": {}}));
        assert!(e.message.contains("chatInfo"), "{e}");
    }

    #[test]
    fn an_identity_id_or_name_that_is_not_a_string_is_refused_as_graph_does() {
        let e = error_of(p2p(), |b| {
            b["targets"] = json!([{"identity": {"phone": {"id": 14255550123_u64}}}]);
            b["source"] = json!({"identity": {"applicationInstance": {"id": "i"}}});
        });
        assert_eq!((e.status, e.code.as_str()), (400, "BadRequest"));
        assert_eq!(
            e.message,
            "Cannot convert the literal '14255550123' to the expected type 'Edm.String'."
        );
        let e = error_of(p2p(), |b| {
            b["targets"][0]["identity"]["user"]["displayName"] = json!(true)
        });
        assert!(e.message.contains("literal 'True'"), "{e}");
        let e = error_of(p2p(), |b| {
            b["source"] = json!({"identity": {"application": {"id": 7}}})
        });
        assert!(e.message.contains("literal '7'"), "{e}");
        // A null id is left to the other checks, and a string id passes.
        let mut pstn = p2p();
        pstn["targets"] = json!([{"identity": {"phone": {"id": "+14255550123"}}}]);
        pstn["source"] = json!({"identity": {"applicationInstance": {"id": "i"}}});
        assert!(check(&pstn).is_ok());
    }

    #[test]
    fn the_current_pages_requests_are_accepted_or_refused_as_documented() {
        let join = |info: Value| {
            json!({
                "callbackUri": "https://bot.contoso.com/callback",
                "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
                "meetingInfo": info,
            })
        };
        let by_id = join(json!({
            "@odata.type": "#microsoft.graph.joinMeetingIdMeetingInfo",
            "joinMeetingId": "1234567", "passcode": null,
        }));
        assert!(check(&by_id).is_ok(), "a join by id needs no chatInfo");
        let by_token =
            join(json!({"@odata.type": "#microsoft.graph.tokenMeetingInfo", "token": "t"}));
        assert!(check(&by_token).is_ok());
        let e = check(&join(
            json!({"@odata.type": "#microsoft.graph.tokenMeetingInfo"}),
        ))
        .unwrap_err();
        assert_eq!(e.message, "A tokenMeetingInfo needs token.");
        let e = check(&join(
            json!({"@odata.type": "#microsoft.graph.organizerMeetingInfo"}),
        ))
        .unwrap_err();
        assert!(e.message.contains("chatInfo"), "{e}");
        let e = check(&join(json!({"@odata.type": "#microsoft.graph.x"}))).unwrap_err();
        assert!(e.message.starts_with("Unknown meetingInfo type"), "{e}");

        let mut options = p2p();
        options["callOptions"] = json!({
            "@odata.type": "#microsoft.graph.outgoingCallOptions",
            "isContentSharingNotificationEnabled": true,
        });
        assert!(check(&options).is_ok());
        options["callOptions"]["hideBotAfterEscalation"] = json!("yes");
        assert!(check(&options)
            .unwrap_err()
            .message
            .contains("hideBotAfterEscalation"));

        for (timeout, ok) in [(json!(1), true), (json!(115), true), (json!(null), true)] {
            let mut body = p2p();
            body["ringingTimeoutInSeconds"] = timeout;
            assert_eq!(check(&body).is_ok(), ok);
        }
        for timeout in [json!(0), json!(116), json!(-1), json!(2.5), json!("60")] {
            let mut body = p2p();
            body["ringingTimeoutInSeconds"] = timeout.clone();
            assert!(check(&body).is_err(), "{timeout} accepted");
        }

        let mut pstn = p2p();
        pstn["targets"] = json!([{"identity": {"phone": {"id": "+12345678901"}}}]);
        assert!(check(&pstn)
            .unwrap_err()
            .message
            .contains("applicationInstance"));
        pstn["source"] = json!({"identity": {"applicationInstance": {"id": "i"}}});
        assert!(check(&pstn).is_ok());
    }

    #[test]
    fn loopback_http_only_when_allowed_and_bad_bodies_get_errors() {
        let mut body = p2p();
        body["callbackUri"] = json!("http://127.0.0.1:8080/cb");
        assert!(check(&body).is_ok());
        let strict = validate_create(JSON, body.to_string().as_bytes(), CallbackPolicy::HttpsOnly);
        assert!(strict.is_err());
        let e = validate_create(Some("text/plain"), b"{}", CallbackPolicy::HttpsOnly).unwrap_err();
        assert_eq!(e.status, 415);
        let e = validate_create(JSON, b"{not json", CallbackPolicy::HttpsOnly).unwrap_err();
        assert!(e.message.starts_with("Invalid JSON"), "{e}");
        let e = validate_create(JSON, b"[1]", CallbackPolicy::HttpsOnly).unwrap_err();
        assert_eq!(e.status, 400);
    }
}
