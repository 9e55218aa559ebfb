//! The HTML report of a run (`callspec run --html FILE`): plain data in, one self-contained HTML
//! page out (inline CSS and SVG; no script, no network).
//!
//! Pure: the `callspec` binary collects the data (cucumber events for steps, the World's
//! exchanges and the stand-in's deliveries) and calls [`render_html`].
//!
//! ```
//! use callspec::html::{render_html, HtmlReport, ScenarioReport, ReportStatus};
//! let report = HtmlReport {
//!     title: "callspec report".into(),
//!     scenarios: vec![ScenarioReport {
//!         name: "Example 1 <service-hosted>".into(),
//!         status: ReportStatus::Passed,
//!         ..Default::default()
//!     }],
//!     problems: vec![],
//!     wall_time: None,
//! };
//! let html = render_html(&report);
//! assert!(html.contains("Example 1 &lt;service-hosted&gt;"));
//! ```

mod html;
mod sequence;
mod text;

use std::time::Duration;

use serde_json::Value;

pub use html::render_html;
pub use text::redact_tokens;

/// How a scenario or a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportStatus {
    Passed,
    Failed,
    Skipped,
    /// A step after a failed one: cucumber does not run it.
    #[default]
    NotRun,
}

impl ReportStatus {
    /// The CSS class and the word shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Passed => "passed",
            ReportStatus::Failed => "failed",
            ReportStatus::Skipped => "skipped",
            ReportStatus::NotRun => "not run",
        }
    }
}

/// The whole run.
#[derive(Debug, Clone, Default)]
pub struct HtmlReport {
    pub title: String,
    pub scenarios: Vec<ScenarioReport>,
    /// Feature files that could not be read, and similar run-level problems.
    pub problems: Vec<String>,
    /// The run's wall time, start to end (not the sum of scenario times: they overlap).
    pub wall_time: Option<Duration>,
}

/// One scenario (one row of an outline's examples is a scenario of its own).
#[derive(Debug, Clone, Default)]
pub struct ScenarioReport {
    /// The feature file as the run names it, e.g. `features/create_call/p2p_voip.feature`.
    pub feature_path: String,
    pub feature_name: String,
    pub rule: Option<String>,
    pub name: String,
    pub line: usize,
    pub status: ReportStatus,
    pub duration: Option<Duration>,
    pub steps: Vec<StepReport>,
    /// Hook failures and other scenario-level errors.
    pub errors: Vec<String>,
    /// The requests the bot sent, in order.
    pub exchanges: Vec<ExchangeReport>,
    /// The notifications the stand-in sent (or the bot received), in order.
    pub notifications: Vec<NotificationEvent>,
    /// The remote parties of the scenario's calls: targets, or `Meeting` for meeting joins.
    pub parties: Vec<String>,
}

/// One step as it ran.
#[derive(Debug, Clone, Default)]
pub struct StepReport {
    /// `Given`, `And`, ... as written.
    pub keyword: String,
    pub text: String,
    pub status: ReportStatus,
    /// The step's table or docstring, as text.
    pub attachment: Option<String>,
    /// Why it failed (the matcher's message and diff).
    pub failure: Option<String>,
    /// Where the failed step is, `features/x.feature:12:5`, as the console says it.
    pub at: Option<String>,
}

/// One request the bot sent and the answer it got.
#[derive(Debug, Clone, Default)]
pub struct ExchangeReport {
    pub method: String,
    pub url: String,
    pub request_body: Option<String>,
    pub status: u16,
    pub response_body: String,
    /// How many notifications had been sent when this request went out, if known; otherwise
    /// the diagram places the request by what it caused (a create before its call's first
    /// notification, a hang-up before the call's `terminating`).
    pub after_notifications: Option<usize>,
}

impl ExchangeReport {
    /// `POST /v1.0/communications/calls → 201`.
    pub fn label(&self) -> String {
        format!("{} {} → {}", self.method, path_of(&self.url), self.status)
    }

    /// The label with long path segments (call ids) cut to their first 8 characters, so the
    /// status still shows in a diagram: `DELETE /v1.0/communications/calls/f2a730b5… → 204`.
    pub fn short_label(&self) -> String {
        let path = path_of(&self.url)
            .split('/')
            .map(|segment| {
                if segment.chars().count() > 16 {
                    segment.chars().take(8).chain(['…']).collect()
                } else {
                    segment.to_owned()
                }
            })
            .collect::<Vec<String>>()
            .join("/");
        format!("{} {path} → {}", self.method, self.status)
    }

    /// The call this request created (a 201 with an `id`) or addressed (`.../calls/{id}`).
    fn call(&self) -> Option<String> {
        if self.status == 201 {
            if let Ok(body) = serde_json::from_str::<Value>(&self.response_body) {
                if let Some(id) = body["id"].as_str() {
                    return Some(id.to_owned());
                }
            }
        }
        crate::inbox::call_id_of(&path_of(&self.url))
    }

    fn created_call(&self) -> bool {
        self.method == "POST" && self.status == 201
    }
}

/// A URL's path and query (the host is the stand-in's, the same for every request).
pub fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

/// One notification (a `commsNotification`) Graph sent the bot.
#[derive(Debug, Clone, Default)]
pub struct NotificationEvent {
    /// Simulated time it was sent at, from the stand-in's start.
    pub at: Option<Duration>,
    /// `updated state=established`, see [`notification_label`].
    pub label: String,
    /// `resourceUrl` (or the old beta `resource`).
    pub resource: String,
    pub call_id: Option<String>,
    /// Set when the delivery failed: the bot's status or the connection error.
    pub failure: Option<String>,
    /// The notification as JSON text.
    pub body: String,
}

impl NotificationEvent {
    /// The event for one commsNotification item.
    pub fn from_item(item: &Value, at: Option<Duration>, failure: Option<String>) -> Self {
        let resource = item["resourceUrl"]
            .as_str()
            .or_else(|| item["resource"].as_str())
            .unwrap_or_default()
            .to_owned();
        NotificationEvent {
            at,
            label: notification_label(item),
            call_id: crate::inbox::call_id_of(&resource),
            resource,
            failure,
            body: serde_json::to_string_pretty(item).unwrap_or_default(),
        }
    }
}

/// A notification in a few words: `updated state=established`, `updated 2 participant(s)`.
pub fn notification_label(item: &Value) -> String {
    let change = item["changeType"].as_str().unwrap_or("?");
    let detail = crate::inbox::resource_data_in_words(item, false);
    format!("{change} {detail}").trim_end().to_owned()
}

/// The remote parties a create request names: each target by display name (or id, or phone
/// number), or `Meeting` when it joins a meeting.
pub fn parties_of(request: &Value) -> Vec<String> {
    if !request["meetingInfo"].is_null() {
        return vec!["Meeting".to_owned()];
    }
    let Some(targets) = request["targets"].as_array() else {
        return Vec::new();
    };
    targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            let identity = &target["identity"];
            [
                "user",
                "phone",
                "guest",
                "application",
                "applicationInstance",
            ]
            .iter()
            .map(|kind| &identity[*kind])
            .find(|who| who.is_object())
            .and_then(|who| who["displayName"].as_str().or_else(|| who["id"].as_str()))
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Target {}", i + 1))
        })
        .collect()
}

/// `+1.000 s`.
pub fn format_at(at: Duration) -> String {
    format!("+{}.{:03} s", at.as_secs(), at.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_say_what_changed() {
        let item = json!({"changeType": "updated", "resourceUrl": "/communications/calls/a",
            "resourceData": {"state": "established"}});
        assert_eq!(notification_label(&item), "updated state=established");
        let roster = json!({"changeType": "updated", "resourceData": [{}, {}]});
        assert_eq!(notification_label(&roster), "updated 2 participant(s)");
        assert_eq!(notification_label(&json!({})), "?");
        let event = NotificationEvent::from_item(&item, Some(Duration::from_millis(1000)), None);
        assert_eq!(event.call_id.as_deref(), Some("a"));
        assert_eq!(format_at(event.at.unwrap()), "+1.000 s");
    }

    #[test]
    fn parties_come_from_targets_or_the_meeting() {
        let p2p = json!({"targets": [
            {"identity": {"user": {"id": "u1", "displayName": "John"}}},
            {"identity": {"phone": {"id": "+12345678901"}}},
            {"identity": {}}
        ]});
        assert_eq!(parties_of(&p2p), ["John", "+12345678901", "Target 3"]);
        let meeting = json!({"meetingInfo": {"@odata.type": "x"}, "targets": []});
        assert_eq!(parties_of(&meeting), ["Meeting"]);
        assert!(parties_of(&json!({})).is_empty());
    }

    #[test]
    fn a_request_is_labelled_by_its_path_and_status() {
        let exchange = ExchangeReport {
            method: "POST".into(),
            url: "http://127.0.0.1:4000/v1.0/communications/calls".into(),
            status: 201,
            response_body: r#"{"id": "c1"}"#.into(),
            ..Default::default()
        };
        assert_eq!(exchange.label(), "POST /v1.0/communications/calls → 201");
        assert_eq!(exchange.call().as_deref(), Some("c1"));
        let delete = ExchangeReport {
            method: "DELETE".into(),
            url: "http://h/v1.0/communications/calls/c1".into(),
            status: 204,
            ..Default::default()
        };
        assert_eq!(delete.call().as_deref(), Some("c1"));
        let long = ExchangeReport {
            url: "http://h/v1.0/communications/calls/f2a730b5-e352-4780-8199-e669d252b941".into(),
            ..delete
        };
        assert_eq!(
            long.short_label(),
            "DELETE /v1.0/communications/calls/f2a730b5… → 204"
        );
    }
}
