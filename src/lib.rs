//! callspec: declarative scenario tests for Microsoft Graph calling bots.
//!
//! The engine behind the `callspec` command, one private module per concept. `src/` never
//! imports cucumber: the step vocabulary and the runner live in the binary (`steps/`).
//!
//! # Layout
//!
//! - `template`: YAML request templates, `${...}` interpolation that keeps types, edits by path:
//!   `request` (templates and documents), `store` (the `scenarios/` folders searched), `yaml`
//!   (YAML to JSON with positions), `interpolate`, `path`, `source` (where text came from),
//!   `error`, `display` and `suggest` (did-you-mean), `available` (what `callspec templates`
//!   lists), `builtin` (the documented examples built
//!   into the binary, used where no folder has the file);
//! - `matcher`: expected-vs-actual JSON with markers (`#uuid`, `#regex ...`, `#not ...`), every
//!   mismatch with its JSON path: `markers`, `unordered` (`#contains`, `#anyorder` and the one
//!   assignment algorithm), `sequence` (notifications in order, in any order, eventually),
//!   `diff`;
//! - `hosting`: the HTTP front every server runs on, one server per run, scenarios under their
//!   own key: `accept`, `tls`, `connection`, `request`;
//! - `standin`: the Graph double: `router` (its HTTP face), `reply`, `validation`, `calls` (the
//!   registry), `lifecycle`, `event` and `timeline` (a call's life in simulated time),
//!   `script` (the other side), `operations`, `surface` (the call's children and operations
//!   past the first ten), `media` (prompts, recordings, tones), `participants`,
//!   `audio_routing`, `recording` (policy-based recording), `state` (the data a call record
//!   holds for them), `context` (what an operation is given), `apply` (a timeline event to its
//!   call), `notifications`, `delivery`, `auth`,
//!   `graph_error`, `faults`, and for `callspec serve` `admin`, `journal` and `realtime`; all
//!   of a stand-in's mutable data is one `Mutex<State>` (its `mod.rs`, after mini-redis's
//!   `db.rs`);
//! - `inbox`: the bot's callback receiver;
//! - `target`: live mode (settings, tokens, notification keys);
//! - `bot`: a team's own bot under test: `config` (`bot.toml`), `process`, `gateway` (the https
//!   server the bot talks to instead of Microsoft), `identity` (its token endpoint), `tls`,
//!   `services` (its other services, wiremock servers);
//! - `record`, `drift`: scenarios recorded as HAR files, and replaying them against the stand-in;
//! - `report`: the HTML report: `html` (the page), `sequence` (its diagrams), `text`;
//! - `serve`: `callspec serve`, the stand-in as a standalone server;
//! - `plain_http`: one pooled client for plain `http://` exchanges;
//! - `paths`: how every message names a file;
//! - `redact`: every token and known secret, in any encoding, out of every output;
//! - `jwt_crypto`: jsonwebtoken's signatures computed with ring (one RSA stack);
//! - `layout_checks` (tests only): no import circle among these modules, and this list
//!   complete.
//!
//! `template` and `matcher` are pure (no I/O beyond reading template files); the others run
//! servers.
//!
//! The public surface is short: the main types at the root ([`StandIn`], [`Inbox`],
//! [`TemplateStore`], [`check`], [`Server`], ...), and the rest grouped by purpose in
//! [`graph`], [`auth`], [`templating`], [`matching`], [`html`] and [`har`].

pub mod bot;
mod drift;
mod hosting;
mod inbox;
mod jwt_crypto;
#[cfg(test)]
mod layout_checks;
mod matcher;
mod paths;
pub mod plain_http;
mod record;
pub mod redact;
mod report;
mod serve;
mod standin;
mod target;
mod template;

// The concepts a user of the library meets first. Everything else is grouped in the modules
// below, by what it is for.
pub use drift::{drift, DriftReport};
pub use inbox::{Inbox, InboxServer, NotificationLog, Received};
pub use matcher::{check, MatchMode, Mismatch};
pub use paths::display_path;
pub use record::Recording;
pub use serve::{request_token, ServeError, ServeOptions, Server};
pub use standin::{AppIdentity, GraphError, StandIn, StandInConfig, StandInServer};
pub use target::{LiveConfig, TargetError, TokenSource};
pub use template::{RequestTemplate, TemplateError, TemplateStore, Vars};

/// What the stand-in can be scripted to do, and the rules, limits and result codes it follows.
pub mod graph {
    pub use crate::hosting::{raise_fd_limit, Limits};
    pub use crate::inbox::call_id_of;
    pub use crate::serve::{DEFAULT_MAX_LIVE_CALLS_PER_APP, DEFAULT_RETENTION};
    pub use crate::standin::{
        codes, names_of, validate_create, Answer, ApiVersion, CallKind, CallState, CallbackPolicy,
        Callee, Delivery, DeliveryQuirks, Fault, Hold, Lobby, MeetingChange, NotificationKind,
        Profile, RateLimit, RemoteAction, RemoteScript, ResourceStyle, ResultInfo,
        DEFAULT_ANSWER_DELAY, DEFAULT_JOURNAL_SIZE, DEFAULT_RINGING_TIMEOUT, GRAPH_RATE_LIMIT,
        INCOMING_ANSWER_WINDOW, LOBBY_TIMEOUT, MAX_BODY_BYTES, MAX_DURATION, MAX_GROUP_TARGETS,
        NOTIFIED_STATES, OPERATION_DELAY, REFUSAL_DELAY,
    };
    pub use crate::standin::{RECORDING_STATUSES, RECORDING_STATUS_WINDOW};
}

/// Access tokens the bot sends and notification tokens it checks, in mock and live mode.
pub mod auth {
    pub use crate::inbox::{redact_authorization, TokenKeys, TokenVerifier};
    pub use crate::jwt_crypto::install as install_jwt_crypto;
    pub use crate::standin::{
        authenticate, authorize, notification_token, verify_notification_token, AccessClaims,
        NotificationClaims, NotificationToken, SigningKey, ALL_CALLING_ROLES, DEFAULT_APP_ID,
        DEFAULT_APP_NAME, DEFAULT_TENANT_ID, GRAPH_AUDIENCE, NOTIFICATION_ISSUER,
    };
    pub use crate::target::{
        Jwks, Secret, CALLING_ISSUERS, GRAPH_URL, KEY_REFRESH_INTERVAL, KEY_REFRESH_MIN_GAP,
        MICROSOFT_OPENID_URL,
    };
}

/// The pieces of templating: interpolation, edits by path, YAML with positions.
pub mod templating {
    pub use crate::template::{
        interpolate, interpolate_at, interpolate_str, lookup, parse_scalar, parse_text,
        remove_path, render_available, render_text, set_path, Available, Document, Origin,
        Provenance,
    };
}

/// Matching beyond [`check`](crate::check): at a path, field by field, describing a value, and
/// notification sequences (in order, in any order, eventually).
pub mod matching {
    pub use crate::matcher::{check_at, check_fields, describe, sequence};
}

/// The HTML report: what a scenario's report holds, and the page made of them.
pub mod html {
    pub use crate::report::{
        format_at, path_of, render_html, ExchangeReport, HtmlReport, NotificationEvent,
        ReportStatus, ScenarioReport, StepReport,
    };
}

/// Recordings (HAR 1.2) and replaying them against the stand-in (`callspec drift`).
pub mod har {
    pub use crate::drift::{
        compare, recordings_in, replay, DriftError, FileDrift, Finding, Replay, DEFAULT_SETTLE,
    };
    pub use crate::record::{EntryKind, RecordError, RecordedExchange, RecordingInfo};
}
