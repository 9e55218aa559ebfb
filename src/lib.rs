//! callspec: declarative scenario tests for Microsoft Graph calling bots.
//!
//! The engine behind the `callspec` command, one module per concept:
//! - `template`: YAML request templates, `${...}` interpolation that keeps types, edits by path;
//! - `matcher`: expected-vs-actual JSON with markers (`#uuid`, `#regex ...`), every mismatch
//!   with its JSON path;
//! - `standin`: the Graph double (wiremock) with its call registry, simulated clock and
//!   notification delivery;
//! - `inbox`: the bot's callback receiver;
//! - `target`: live mode (settings, tokens, notification keys);
//! - `record`, `drift`: scenarios recorded as HAR files, and replaying them against the stand-in.
//!
//! The first two are pure (no I/O beyond reading template files); the others run servers.

mod drift;
mod hosting;
mod inbox;
mod matcher;
mod paths;
mod record;
mod report;
mod serve;
mod standin;
mod target;
mod template;

pub use drift::{
    compare, drift, recordings_in, replay, DriftError, DriftReport, FileDrift, Finding, Replay,
    DEFAULT_SETTLE,
};
pub use hosting::{raise_fd_limit, Limits};
pub use inbox::{
    call_id_of, redact_authorization, Inbox, InboxServer, NotificationLog, Received, TokenKeys,
    TokenVerifier,
};
pub use matcher::{check, check_at, check_fields, describe, MatchMode, Mismatch};
pub use paths::display_path;
pub use record::{EntryKind, RecordError, RecordedExchange, Recording, RecordingInfo};
pub use report::{
    escape_html, format_at, notification_label, parties_of, path_of, redact_tokens, render_html,
    sequence_of, sequence_svg, ArrowStyle, ExchangeReport, HtmlReport, NotificationEvent,
    ReportStatus, ScenarioReport, SequenceArrow, StepReport,
};
pub use serve::{request_token, ServeError, ServeOptions, Server, DEFAULT_RETENTION};
pub use standin::{
    authenticate, authorize, codes, validate_create, verify_notification_token, AccessClaims,
    Answer, ApiVersion, AppIdentity, CallKind, CallState, CallbackPolicy, Callee, Delivery,
    DeliveryQuirks, Fault, GraphError, Lobby, MeetingChange, NotificationClaims, NotificationToken,
    Profile, RateLimit, RemoteAction, RemoteScript, ResourceStyle, ResultInfo, SigningKey, StandIn,
    StandInConfig, StandInServer, DEFAULT_ANSWER_DELAY, DEFAULT_JOURNAL_SIZE,
    DEFAULT_RINGING_TIMEOUT, GRAPH_AUDIENCE, GRAPH_RATE_LIMIT, INCOMING_ANSWER_WINDOW,
    LOBBY_TIMEOUT, MAX_BODY_BYTES, MAX_DURATION, MAX_GROUP_TARGETS, NOTIFICATION_ISSUER,
    OPERATION_DELAY, REFUSAL_DELAY,
};
pub use target::{
    Jwks, LiveConfig, Secret, TargetError, TokenSource, CALLING_ISSUERS, GRAPH_URL,
    KEY_REFRESH_INTERVAL, KEY_REFRESH_MIN_GAP, MICROSOFT_OPENID_URL,
};
pub use template::{
    interpolate, interpolate_at, interpolate_str, lookup, parse_scalar, parse_text, remove_path,
    render_text, set_path, Document, Origin, RequestTemplate, TemplateError, TemplateStore, Vars,
};
