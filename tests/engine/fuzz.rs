//! Property tests: the request validator, the template functions and the running stand-in never
//! panic, and every refusal is a well-formed Graph error.
//!
//! Bounds: each property runs a fixed number of cases from a fixed seed (no flakiness, no
//! regression files), sized so the whole file runs in a few seconds on 2 cores in a debug build:
//! the pure properties take microseconds a case (256 cases each; 128 for the recursive JSON
//! ones, whose values are bigger), and the stand-in property makes one HTTP round trip per case
//! (64 cases) after the run's RSA key is made once. Generated values are bounded too: JSON depth
//! at most 4, collections of at most 6 items, strings of at most a few dozen characters.

use std::sync::OnceLock;
use std::time::Duration;

use callspec::auth::AccessClaims;
use callspec::graph::{validate_create, CallbackPolicy, MAX_BODY_BYTES, MAX_GROUP_TARGETS};
use callspec::templating::{
    interpolate_str, lookup, parse_scalar, parse_text, remove_path, render_text, set_path, Origin,
};
use callspec::{AppIdentity, GraphError, StandIn, StandInConfig, TemplateStore, Vars};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

const JSON: Option<&str> = Some("application/json");

/// A fixed number of cases from a fixed seed; failures are not persisted to files.
fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_time: 10_000,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Keys a create-call body is made of, and some it is not.
const CALL_KEYS: &[&str] = &[
    "@odata.type",
    "callbackUri",
    "targets",
    "requestedModalities",
    "mediaConfig",
    "meetingInfo",
    "chatInfo",
    "source",
    "identity",
    "user",
    "guest",
    "id",
    "subject",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(CALL_KEYS).prop_map(str::to_owned),
        1 => "[a-zA-Z@.$_ -]{0,8}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // serde_json has no NaN or infinities.
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        proptest::sample::select(vec![
            "audio",
            "video",
            "smell",
            "https://bot.contoso.com/callback",
            "http://127.0.0.1:9/cb",
            "http://bot.contoso.com/cb",
            "#microsoft.graph.serviceHostedMediaConfig",
            "#microsoft.graph.appHostedMediaConfig",
            "#microsoft.graph.call",
            "None",
        ])
        .prop_map(Value::from),
    ]
}

/// Any JSON value, nested at most 4 deep, collections of at most 6 items.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// The documented requests (every template under scenarios/requests/v1 and beta), rendered.
fn documented() -> &'static [(String, Value)] {
    static BODIES: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    BODIES.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let store = TemplateStore::new([root]);
        let mut vars = Vars::new();
        vars.insert("callback_uri".into(), json!("http://127.0.0.1:9/callback"));
        let bodies: Vec<(String, Value)> = store
            .request_names()
            .into_iter()
            .filter(|n| n.starts_with("v1/") || n.starts_with("beta/"))
            .map(|name| {
                let body = store
                    .request(&name)
                    .and_then(|t| t.render(&vars))
                    .unwrap_or_else(|e| panic!("template {name}: {e}"));
                (name, body)
            })
            .collect();
        assert!(
            bodies.len() >= 10,
            "only {} documented requests",
            bodies.len()
        );
        bodies
    })
}

/// One step of a JSON path, to address any node of a value.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every path to a node below the root.
fn paths(value: &Value) -> Vec<Vec<Step>> {
    fn walk(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    prefix.push(Step::Key(k.clone()));
                    out.push(prefix.clone());
                    walk(v, prefix, out);
                    prefix.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    prefix.push(Step::Index(i));
                    out.push(prefix.clone());
                    walk(v, prefix, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

fn node_mut<'a>(mut value: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    for step in steps {
        value = match (value, step) {
            (Value::Object(map), Step::Key(k)) => map.get_mut(k)?,
            (Value::Array(items), Step::Index(i)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A change to a documented request: drop a node, or replace it with any JSON value. The
/// `usize` picks the node among all of them (modulo their number).
#[derive(Debug, Clone)]
enum Mutation {
    Drop(usize),
    Replace(usize, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Drop),
        (any::<usize>(), json_value()).prop_map(|(at, v)| Mutation::Replace(at, v)),
    ]
}

fn mutate(value: &mut Value, mutation: &Mutation) {
    let all = paths(value);
    if all.is_empty() {
        return;
    }
    match mutation {
        Mutation::Drop(at) => {
            let path = &all[at % all.len()];
            let (last, parent) = path.split_last().expect("paths are below the root");
            match (node_mut(value, parent), last) {
                (Some(Value::Object(map)), Step::Key(k)) => {
                    map.shift_remove(k);
                }
                (Some(Value::Array(items)), Step::Index(i)) => {
                    items.remove(*i);
                }
                _ => unreachable!("a path from paths() leads to its node"),
            }
        }
        Mutation::Replace(at, new) => {
            let path = &all[at % all.len()];
            *node_mut(value, path).expect("a path from paths() leads to its node") = new.clone();
        }
    }
}

/// A documented request with 1 to 3 mutations applied.
fn mutated_request() -> impl Strategy<Value = (String, Value)> {
    (
        0..documented().len(),
        proptest::collection::vec(mutation(), 1..4),
    )
        .prop_map(|(i, mutations)| {
            let (name, mut body) = documented()[i].clone();
            for m in &mutations {
                mutate(&mut body, m);
            }
            (name, body)
        })
}

// ---------------------------------------------------------------------------------------------
// An oracle: the README's rules for a create-call body, written independently of the stand-in
// ---------------------------------------------------------------------------------------------

const KNOWN_MEDIA: &[&str] = &[
    "#microsoft.graph.serviceHostedMediaConfig",
    "#microsoft.graph.appHostedMediaConfig",
];
const KNOWN_MODALITIES: &[&str] = &[
    "audio",
    "video",
    "videoBasedScreenSharing",
    "data",
    "unknown",
];

fn present(call: &Map<String, Value>, key: &str) -> bool {
    call.get(key).is_some_and(|v| !v.is_null())
}

/// The error codes the README's rules give for what is wrong with `body` (a JSON body sent as
/// application/json, under the size limit, mock mode); empty when Graph would create the call.
fn readme_violations(body: &Value) -> Vec<&'static str> {
    let Value::Object(call) = body else {
        return vec!["BadRequest"];
    };
    let mut codes = Vec::new();
    // callbackUri: required, https, or http on loopback.
    let callback_ok = call
        .get("callbackUri")
        .and_then(Value::as_str)
        .and_then(|u| url::Url::parse(u).ok())
        .is_some_and(|u| {
            let loopback = match u.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            u.scheme() == "https" || (u.scheme() == "http" && loopback)
        });
    if !callback_ok {
        codes.push("BadRequest");
    }
    // mediaConfig: required (8523), of a known type.
    if !present(call, "mediaConfig") {
        codes.push("8523");
    } else if !call["mediaConfig"]["@odata.type"]
        .as_str()
        .is_some_and(|t| KNOWN_MEDIA.contains(&t))
    {
        codes.push("BadRequest");
    }
    // requestedModalities: absent, or a non-empty list of known modalities.
    if let Some(m) = call.get("requestedModalities") {
        let ok = m.as_array().is_some_and(|list| {
            !list.is_empty()
                && list
                    .iter()
                    .all(|x| x.as_str().is_some_and(|s| KNOWN_MODALITIES.contains(&s)))
        });
        if !ok {
            codes.push("BadRequest");
        }
    }
    // A meeting join by organizer (typed or not) names its chat; one by token or joinMeetingId
    // names those instead; other calls have 1 to 5 targets, each with an identity.
    if present(call, "meetingInfo") {
        let info = &call["meetingInfo"];
        let has = |key: &str| match &info[key] {
            Value::String(s) => !s.is_empty(),
            Value::Object(_) => true,
            _ => false,
        };
        let ok = match info.get("@odata.type").and_then(Value::as_str) {
            None | Some("#microsoft.graph.organizerMeetingInfo") => present(call, "chatInfo"),
            Some("#microsoft.graph.tokenMeetingInfo") => has("token"),
            Some("#microsoft.graph.joinMeetingIdMeetingInfo") => has("joinMeetingId"),
            Some(_) => false,
        };
        if !ok {
            codes.push("BadRequest");
        }
    } else {
        let targets = call
            .get("targets")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let with_identity = |t: &Value| {
            t["identity"]
                .as_object()
                .is_some_and(|id| id.iter().any(|(k, v)| !k.starts_with('@') && v.is_object()))
        };
        if targets.is_empty()
            || targets.len() > MAX_GROUP_TARGETS
            || !targets.iter().all(with_identity)
        {
            codes.push("BadRequest");
        }
    }
    // callOptions: an outgoingCallOptions object whose flags are booleans.
    if present(call, "callOptions") {
        let options = &call["callOptions"];
        let typed = options
            .get("@odata.type")
            .is_none_or(|t| t == "#microsoft.graph.outgoingCallOptions");
        let flags = [
            "hideBotAfterEscalation",
            "isContentSharingNotificationEnabled",
            "isDeltaRosterEnabled",
            "isInteractiveRosterEnabled",
        ]
        .iter()
        .all(|f| {
            options
                .get(*f)
                .is_none_or(|v| v.is_null() || v.is_boolean())
        });
        if !options.is_object() || !typed || !flags {
            codes.push("BadRequest");
        }
    }
    // ringingTimeoutInSeconds: 1 to 115.
    if present(call, "ringingTimeoutInSeconds")
        && !call["ringingTimeoutInSeconds"]
            .as_u64()
            .is_some_and(|s| (1..=115).contains(&s))
    {
        codes.push("BadRequest");
    }
    // A peer-to-peer call to a phone comes from an application instance.
    let targets = call.get("targets").and_then(Value::as_array);
    let to_phone = targets.is_some_and(|t| t.len() == 1 && t[0]["identity"]["phone"].is_object());
    let from_instance = call
        .get("source")
        .is_some_and(|s| s["identity"]["applicationInstance"].is_object());
    if to_phone && !from_instance {
        codes.push("BadRequest");
    }
    // An identity's id and displayName are strings (or null), in targets and source.
    let identities = targets
        .into_iter()
        .flatten()
        .chain(call.get("source"))
        .filter_map(|p| p.get("identity")?.as_object())
        .flat_map(|set| set.iter().filter(|(k, _)| !k.starts_with('@')))
        .filter_map(|(_, identity)| identity.as_object());
    let typed = |identity: &serde_json::Map<String, Value>| {
        ["id", "displayName"].iter().all(|k| {
            identity
                .get(*k)
                .is_none_or(|v| v.is_null() || v.is_string())
        })
    };
    if !identities.into_iter().all(typed) {
        codes.push("BadRequest");
    }
    codes
}

/// A refusal is a Graph error: a 4xx status the README lists, a code and a message.
fn assert_graph_error(e: &GraphError) -> Result<(), TestCaseError> {
    prop_assert!(
        (400..=415).contains(&e.status),
        "status {} out of range: {e}",
        e.status
    );
    prop_assert!(!e.code.trim().is_empty(), "empty code: {e}");
    prop_assert!(!e.message.trim().is_empty(), "empty message: {e}");
    Ok(())
}

/// Runs the validator on a JSON body and checks it against the oracle: accepted exactly when no
/// rule is broken, and a refusal names one of the broken rules' codes.
fn check_against_readme(body: &Value) -> Result<(), TestCaseError> {
    let bytes = serde_json::to_vec(body).expect("a Value serializes");
    prop_assume!(bytes.len() <= MAX_BODY_BYTES);
    let verdict = validate_create(JSON, &bytes, CallbackPolicy::AllowLoopbackHttp);
    let violations = readme_violations(body);
    match verdict {
        Ok(call) => {
            prop_assert!(
                violations.is_empty(),
                "accepted, but the README's rules say {violations:?}"
            );
            // Compared with the body as parsed back: serde_json (without `float_roundtrip`)
            // may read the last digit of a float differently from how it wrote it.
            let parsed: Value = serde_json::from_slice(&bytes).expect("it was just written");
            prop_assert_eq!(Value::Object(call), parsed, "the accepted call is the body");
        }
        Err(e) => {
            assert_graph_error(&e)?;
            prop_assert!(
                violations.contains(&e.code.as_str()),
                "refused with {e}, but the README's rules say {violations:?}"
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// validate_create
// ---------------------------------------------------------------------------------------------

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_owned())),
        Just(Some("application/json; charset=utf-8".to_owned())),
        Just(Some("text/plain".to_owned())),
        "\\PC{0,24}".prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(config(256, 0x00ca_11ed))]

    /// Arbitrary bytes under any Content-Type: a Graph error or the parsed object, never a panic.
    #[test]
    fn validate_create_takes_any_bytes(
        ct in content_type(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let is_json = ct.as_deref().and_then(|c| c.split(';').next())
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"));
        match validate_create(ct.as_deref(), &body, CallbackPolicy::AllowLoopbackHttp) {
            Ok(call) => {
                prop_assert!(is_json, "accepted under Content-Type {ct:?}");
                let parsed: Value = serde_json::from_slice(&body).expect("accepted bodies are JSON");
                prop_assert_eq!(Value::Object(call), parsed);
            }
            Err(e) => {
                assert_graph_error(&e)?;
                if !is_json {
                    prop_assert_eq!((e.status, e.code.as_str()), (415, "UnsupportedMediaType"));
                } else {
                    prop_assert_eq!(e.status, 400, "{}", e);
                }
            }
        }
    }

    /// The body size limit is exact: a valid call of 64 KiB is read, one byte more is not.
    #[test]
    fn the_size_limit_is_64_kib_exactly(size in (MAX_BODY_BYTES - 64)..(MAX_BODY_BYTES + 64)) {
        let mut call = json!({
            "callbackUri": "https://bot.contoso.com/callback",
            "targets": [{"identity": {"user": {"id": "u"}}}],
            "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
            "padding": "",
        });
        let bare = call.to_string().len();
        call["padding"] = Value::String("x".repeat(size - bare));
        let bytes = call.to_string().into_bytes();
        prop_assert_eq!(bytes.len(), size);
        let verdict = validate_create(JSON, &bytes, CallbackPolicy::AllowLoopbackHttp);
        if size <= MAX_BODY_BYTES {
            prop_assert!(verdict.is_ok(), "{} bytes refused: {:?}", size, verdict.err());
        } else {
            let e = verdict.expect_err("over the limit");
            prop_assert_eq!((e.status, e.code.as_str()), (413, "RequestEntityTooLarge"));
        }
    }

}

/// Documented requests with keys dropped or replaced: the validator agrees with the README. The
/// mutations reach both sides: some requests stay acceptable, others break a rule.
#[test]
fn validate_create_agrees_with_the_readme_on_mutated_requests() {
    let outcomes = std::cell::RefCell::new((0usize, 0usize));
    let mut runner = TestRunner::new(config(256, 0x00ca_11ed));
    let result = runner.run(&mutated_request(), |(_name, body)| {
        check_against_readme(&body)?;
        let mut o = outcomes.borrow_mut();
        if readme_violations(&body).is_empty() {
            o.0 += 1;
        } else {
            o.1 += 1;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (accepted, refused) = outcomes.into_inner();
    assert!(
        accepted >= 16 && refused >= 16,
        "the mutations do not reach both sides: {accepted} accepted, {refused} refused"
    );
}

proptest! {
    #![proptest_config(config(128, 0x0005_eed5))]

    /// Any JSON value as the body: the validator agrees with the README, and never panics.
    #[test]
    fn validate_create_agrees_with_the_readme_on_any_json(body in json_value()) {
        check_against_readme(&body)?;
    }

    /// Call-shaped objects (the right keys, any values) reach the later rules more often.
    #[test]
    fn validate_create_agrees_with_the_readme_on_call_shaped_objects(
        entries in proptest::collection::vec(
            (proptest::sample::select(CALL_KEYS).prop_map(str::to_owned), json_value()),
            0..8,
        ),
    ) {
        let body = Value::Object(entries.into_iter().collect());
        check_against_readme(&body)?;
    }
}

/// Every documented request is accepted; without `mediaConfig` each is Graph's 8523, without
/// `callbackUri` a BadRequest.
#[test]
fn documented_requests_pass_and_lose_the_right_way() {
    for (name, body) in documented() {
        let bytes = serde_json::to_vec(body).unwrap();
        let verdict = validate_create(JSON, &bytes, CallbackPolicy::AllowLoopbackHttp);
        assert!(verdict.is_ok(), "{name}: {:?}", verdict.err());
        for (key, code) in [("mediaConfig", "8523"), ("callbackUri", "BadRequest")] {
            let mut without = body.clone();
            without.as_object_mut().unwrap().shift_remove(key);
            let e = validate_create(
                JSON,
                &serde_json::to_vec(&without).unwrap(),
                CallbackPolicy::AllowLoopbackHttp,
            )
            .expect_err(key);
            assert_eq!(
                (e.status, e.code.as_str()),
                (400, code),
                "{name} without {key}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Templates: interpolation, YAML text, paths
// ---------------------------------------------------------------------------------------------

fn vars() -> Vars {
    match json!({
        "name": "Alice",
        "count": 3,
        "nothing": null,
        "call": {"id": "c-1", "n": [1, 2], "location": "http://127.0.0.1:1/v1.0/communications/calls/c-1"},
    }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// Strings built from the pieces placeholders are made of.
fn template_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("$".to_owned()),
        Just("$$".to_owned()),
        Just("${".to_owned()),
        Just("$${".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just(":-".to_owned()),
        Just("[0]".to_owned()),
        Just(".".to_owned()),
        proptest::sample::select(vec![
            "name",
            "count",
            "nothing",
            "call.id",
            "call.n[1]",
            "missing",
            "9x",
            "-"
        ])
        .prop_map(str::to_owned),
        "\\PC{0,4}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

/// A well-formed template string: text, `$${` escapes and placeholders, and what it renders to.
#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Escape,
    Var(&'static str),
    Default(&'static str, String),
}

fn well_formed() -> impl Strategy<Value = Vec<Part>> {
    let part = prop_oneof![
        "[a-z {}:.\\-\\[\\]]{1,6}".prop_map(Part::Text),
        Just(Part::Escape),
        proptest::sample::select(vec!["name", "count", "nothing", "call.id", "call.n[1]"])
            .prop_map(Part::Var),
        (
            proptest::sample::select(vec!["missing", "nothing", "name"]),
            "[a-z0-9 ]{0,5}"
        )
            .prop_map(|(n, d)| Part::Default(n, d)),
    ];
    proptest::collection::vec(part, 0..8)
}

/// What the README says a part renders to, as text.
fn expected_text(part: &Part, vars: &Vars) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let var = |name: &str| {
        lookup(&Value::Object(vars.clone()), name)
            .cloned()
            .filter(|v| !v.is_null())
    };
    match part {
        Part::Text(t) => t.clone(),
        Part::Escape => "${".to_owned(),
        Part::Var(name) => text(&lookup(&Value::Object(vars.clone()), name).cloned().unwrap()),
        Part::Default(name, d) => var(name).map(|v| text(&v)).unwrap_or_else(|| d.clone()),
    }
}

fn source(part: &Part) -> String {
    match part {
        Part::Text(t) => t.clone(),
        Part::Escape => "$${".to_owned(),
        Part::Var(name) => format!("${{{name}}}"),
        Part::Default(name, d) => format!("${{{name}:-{d}}}"),
    }
}

/// Plain keys, odd keys (written quoted) and array indexes, and the path text for them.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index,
}

fn path_text(segs: &[Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k)
                if !k.is_empty()
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !k.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Key(k) => {
                let escaped = k.replace('\\', "\\\\").replace('"', "\\\"");
                out.push_str(&format!("[\"{escaped}\"]"));
            }
            // Each index is into an array the same set_path creates, so it is always 0.
            Seg::Index => out.push_str("[0]"),
        }
    }
    out
}

fn segments() -> impl Strategy<Value = Vec<Seg>> {
    let seg = prop_oneof![
        3 => "[a-zA-Z_][a-zA-Z0-9_]{0,6}".prop_map(Seg::Key),
        1 => "[a-z@.\\[\\]\"' \\\\$-]{1,6}".prop_map(Seg::Key),
        2 => Just(Seg::Index),
    ];
    proptest::collection::vec(seg, 1..6)
}

/// Path-like text: segments, brackets, quotes, dots, `$`.
fn path_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9\\.\\[\\]\"'@$ \\\\]{0,20}",
        "\\PC{0,16}",
        proptest::sample::select(vec![
            "",
            "$",
            "$.",
            ".",
            "..",
            "[",
            "]",
            "[]",
            "[\"",
            "['a']",
            "a[",
            "a]",
            "a[0",
            "a[-1]",
            "a[18446744073709551616]",
            "a.[0]",
            "a..b",
            "targets[0].identity",
            "$.a.b",
            "mediaConfig[\"@odata.type\"]",
            "a[\"x\\\"y\"]",
            "a['x.y']",
            "a[ 0 ]",
        ])
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #![proptest_config(config(256, 0x7e_e1a7e))]

    /// Any string: interpolation answers (a value or an error), and text without `${` is kept.
    #[test]
    fn interpolate_str_takes_any_string(s in prop_oneof![template_text(), "\\PC{0,40}"]) {
        let vars = vars();
        let result = interpolate_str(&s, &vars);
        if !s.contains("${") {
            prop_assert_eq!(result.ok(), Some(Value::String(s.clone())));
        } else if let Err(e) = result {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// Well-formed templates render as the README says: `${x}` is x's text, `${x:-d}` falls
    /// back to d when x is undefined or null, `$${` is a literal `${`, and a string that is only
    /// `${x}` keeps x's type.
    #[test]
    fn interpolate_str_renders_well_formed_templates(parts in well_formed()) {
        let vars = vars();
        let text: String = parts.iter().map(source).collect();
        let rendered = interpolate_str(&text, &vars);
        let rendered = match rendered {
            Ok(v) => v,
            Err(e) => return Err(TestCaseError::fail(format!("{text:?}: {e}"))),
        };
        match parts.as_slice() {
            [Part::Var(name)] => {
                let value = lookup(&Value::Object(vars.clone()), name).cloned().unwrap();
                prop_assert_eq!(rendered, value, "{}", text);
            }
            [Part::Default(name, d)] => {
                let value = lookup(&Value::Object(vars.clone()), name)
                    .cloned()
                    .filter(|v| !v.is_null())
                    .unwrap_or_else(|| parse_scalar(d));
                prop_assert_eq!(rendered, value, "{}", text);
            }
            _ => {
                let expected: String = parts.iter().map(|p| expected_text(p, &vars)).collect();
                prop_assert_eq!(rendered, Value::String(expected), "{}", text);
            }
        }
    }

    /// Any text as a YAML docstring: a value or an error; without `${` it is the plain parse.
    #[test]
    fn render_text_takes_any_text(
        text in prop_oneof![
            template_text(),
            "[a-z0-9 :\\-\\[\\]{}#&*!|>'\"%@`,?\n\t$]{0,60}",
            "\\PC{0,40}",
        ],
    ) {
        let origin = Origin::new("fuzz.feature", 10);
        let vars = vars();
        match render_text(&text, &origin, &vars) {
            Ok(value) if !text.contains("${") => {
                let plain = parse_text(&text, &origin);
                prop_assert_eq!(Some(value), plain.ok(), "{:?}", text);
            }
            Ok(_) => {}
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// Arbitrary path text against arbitrary values: lookup, set_path and remove_path answer,
    /// a successful set is found where it was set, and a successful remove returns what was there.
    #[test]
    fn paths_take_any_text(path in path_like(), value in json_value(), new in leaf()) {
        let before = lookup(&value, &path).cloned();

        let mut target = value.clone();
        if set_path(&mut target, &path, new.clone()).is_ok() {
            prop_assert_eq!(lookup(&target, &path), Some(&new), "set {:?}", path);
        }

        let mut target = value.clone();
        match remove_path(&mut target, &path) {
            Ok(removed) => prop_assert_eq!(Some(removed), before, "remove {:?}", path),
            Err(e) => {
                prop_assert_eq!(&target, &value, "a failed remove changed the value");
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    /// Round trip: set_path on a generated path of keys and indexes, then lookup gives the value
    /// back; setting again replaces it; removing returns it.
    #[test]
    fn set_path_then_lookup_round_trips(segs in segments(), first in leaf(), second in leaf()) {
        let path = path_text(&segs);
        let mut root = match segs[0] {
            Seg::Index => Value::Array(Vec::new()),
            Seg::Key(_) => Value::Object(Map::new()),
        };
        if let Err(e) = set_path(&mut root, &path, first.clone()) {
            return Err(TestCaseError::fail(format!("set {path:?}: {e}")));
        }
        prop_assert_eq!(lookup(&root, &path), Some(&first), "{} in {}", path, root);
        set_path(&mut root, &path, second.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(lookup(&root, &path), Some(&second), "{} in {}", path, root);
        let removed = remove_path(&mut root, &path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(removed, second);
        if let Some(Seg::Key(_)) = segs.last() {
            prop_assert_eq!(lookup(&root, &path), None, "{} still in {}", path, root);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The running stand-in
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Token {
    Valid,
    None,
    Garbage,
}

#[derive(Debug, Clone)]
struct Request {
    method: &'static str,
    path: String,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
    token: Token,
}

fn api_path() -> impl Strategy<Value = String> {
    let id = prop_oneof![
        Just("00000000-0000-0000-0000-000000000000".to_owned()),
        "[a-zA-Z0-9._~-]{1,12}",
    ];
    prop_oneof![
        3 => proptest::sample::select(vec![
            "/v1.0/communications/calls",
            "/beta/communications/calls",
            "/beta/app/calls",
            "/beta/applications/2891555a-92ff-42e6-80fa-6e1300c6b5c6/calls",
            "/v1/.well-known/keys",
            "/v1/.well-known/openidconfiguration",
        ])
        .prop_map(str::to_owned),
        2 => (proptest::sample::select(vec!["/v1.0/communications/calls/", "/beta/app/calls/"]), id.clone())
            .prop_map(|(p, id)| format!("{p}{id}")),
        1 => (id, proptest::sample::select(vec!["answer", "dance", "participants/invite", "x/y/z"]))
            .prop_map(|(id, a)| format!("/v1.0/communications/calls/{id}/{a}")),
        2 => proptest::collection::vec("[a-zA-Z0-9._~-]{0,10}", 0..5)
            .prop_map(|segs| format!("/{}", segs.join("/"))),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    let method = proptest::sample::select(vec![
        "GET", "POST", "POST", "POST", "DELETE", "PUT", "PATCH",
    ]);
    let content_type = prop_oneof![
        4 => Just(Some("application/json".to_owned())),
        1 => Just(None),
        1 => "[a-z/;= -]{0,20}".prop_map(Some),
    ];
    let body = prop_oneof![
        1 => Just(None),
        1 => proptest::collection::vec(any::<u8>(), 0..256).prop_map(Some),
        2 => json_value().prop_map(|v| Some(v.to_string().into_bytes())),
        4 => mutated_request().prop_map(|(_, v)| Some(v.to_string().into_bytes())),
    ];
    let token = prop_oneof![
        6 => Just(Token::Valid),
        1 => Just(Token::None),
        1 => Just(Token::Garbage),
    ];
    let anything = (method, api_path(), content_type, body, token).prop_map(
        |(method, path, content_type, body, token)| Request {
            method,
            path,
            content_type,
            body,
            token,
        },
    );
    // Creates: a documented request, as written or mutated, POSTed where calls are created.
    let create_path = proptest::sample::select(vec![
        "/v1.0/communications/calls",
        "/beta/communications/calls",
        "/beta/app/calls",
    ]);
    let create_body = prop_oneof![
        (0..documented().len()).prop_map(|i| documented()[i].1.clone()),
        mutated_request().prop_map(|(_, v)| v),
    ];
    let create = (create_path, create_body).prop_map(|(path, body)| Request {
        method: "POST",
        path: path.to_owned(),
        content_type: Some("application/json".to_owned()),
        body: Some(body.to_string().into_bytes()),
        token: Token::Valid,
    });
    prop_oneof![1 => create, 1 => anything]
}

/// What came back, for the checks.
#[derive(Debug)]
struct Answer {
    status: u16,
    location: Option<String>,
    request_id: Option<String>,
    text: String,
}

async fn send(client: &reqwest::Client, base: &str, token: &str, req: &Request) -> Answer {
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).expect("a method");
    let mut builder = client.request(method, format!("{base}{}", req.path));
    builder = match req.token {
        Token::Valid => builder.header("Authorization", format!("Bearer {token}")),
        Token::None => builder,
        Token::Garbage => builder.header("Authorization", "Bearer x.y.z"),
    };
    if let Some(ct) = &req.content_type {
        builder = builder.header("Content-Type", ct);
    }
    if let Some(body) = &req.body {
        builder = builder.body(body.clone());
    }
    let response = builder.send().await.expect("the stand-in answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (location, request_id) = (header("location"), header("request-id"));
    let status = response.status().as_u16();
    let text = response.text().await.expect("a readable answer");
    Answer {
        status,
        location,
        request_id,
        text,
    }
}

fn check_answer(req: &Request, answer: &Answer) -> Result<(), TestCaseError> {
    prop_assert!(answer.request_id.is_some(), "no request-id header");
    let body: Option<Value> = serde_json::from_str(&answer.text).ok();
    match answer.status {
        201 => {
            prop_assert_eq!(req.method, "POST");
            let call = body.expect("a created call is JSON");
            let id = call["id"].as_str().expect("the call has an id");
            let location = answer.location.as_deref().expect("a Location header");
            // Under the path the bot created the call on (issue 18: `/beta/app/calls/{id}`
            // for a create on `/beta/app/calls`).
            prop_assert!(
                location.ends_with(&format!("{}/{id}", req.path.trim_end_matches('/'))),
                "{} for a create on {}",
                location,
                req.path
            );
            prop_assert_eq!(&call["state"], "establishing");
        }
        200 => {
            prop_assert_eq!(req.method, "GET");
            prop_assert!(
                body.is_some_and(|b| b.is_object()),
                "200 without a JSON object: {}",
                answer.text
            );
        }
        204 => {
            prop_assert_eq!(req.method, "DELETE");
            prop_assert!(answer.text.is_empty(), "204 with a body: {}", answer.text);
        }
        status => {
            prop_assert!(
                (400..500).contains(&status),
                "status {}: {}",
                status,
                answer.text
            );
            let body = body.unwrap_or_default();
            let error = &body["error"];
            prop_assert!(
                error["code"].as_str().is_some_and(|c| !c.is_empty())
                    && error["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{} without a Graph error envelope: {}",
                status,
                answer.text
            );
            if status == 401 {
                prop_assert!(
                    !matches!(req.token, Token::Valid),
                    "401 with a valid token: {}",
                    answer.text
                );
            }
        }
    }
    Ok(())
}

/// 64 random requests (methods, paths, bodies, Content-Types, tokens) against one running
/// stand-in: every answer is a success with the right shape or a Graph error envelope; a valid
/// token is never refused as a token. One stand-in for all cases: starting one per case would
/// cost more than the requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standin_answers_any_request_with_a_graph_shape() {
    let standin = StandIn::start(StandInConfig::default()).await;
    let app = AppIdentity {
        app_id: "2891555a-92ff-42e6-80fa-6e1300c6b5c6".into(),
        tenant_id: "aa67bd4c-8475-432d-bd41-39f255720e0a".into(),
        display_name: "Calling Bot".into(),
    };
    let roles: Vec<String> = [
        "Calls.Initiate.All",
        "Calls.InitiateGroupCall.All",
        "Calls.JoinGroupCall.All",
        "Calls.JoinGroupCallAsGuest.All",
        "Calls.AccessMedia.All",
    ]
    .map(str::to_owned)
    .to_vec();
    let token = standin.token(&AccessClaims::app_only(&app, &roles));
    let base = standin.uri().to_owned();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client");
    let handle = tokio::runtime::Handle::current();

    let mut runner = TestRunner::new(config(64, 0x06a9_4a11));
    let statuses = std::cell::RefCell::new(Vec::new());
    // The runner is synchronous; each case runs its request on this test's runtime.
    let result = tokio::task::block_in_place(|| {
        runner.run(&request(), |req| {
            let answer = handle.block_on(send(&client, &base, &token, &req));
            statuses.borrow_mut().push(answer.status);
            check_answer(&req, &answer)
        })
    });
    standin.shutdown();
    if let Err(e) = result {
        panic!("{e}");
    }
    // The requests reach both sides: calls are created, and refused with several statuses.
    let statuses = statuses.into_inner();
    let count = |s: u16| statuses.iter().filter(|&&x| x == s).count();
    assert!(count(201) >= 4, "too few calls created: {statuses:?}");
    for refusal in [400, 401, 404, 415] {
        assert!(count(refusal) >= 1, "no {refusal} among {statuses:?}");
    }
}
