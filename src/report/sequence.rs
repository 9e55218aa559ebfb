//! A scenario's exchanges and notifications as a sequence diagram (inline SVG): lifelines Bot,
//! Graph and the remote parties; bot→Graph for each request, Graph→bot for each notification
//! (red when its delivery failed), and dashed Graph↔party arrows for what the stand-in
//! simulates: the callee, an invitee or a transfer target being asked, and answering or
//! declining (with Graph's code); the meeting taking the bot.

use std::fmt::Write as _;
use std::time::Duration;

use super::text::{escape_html, redact_tokens};
use super::{format_at, parties_of, ExchangeReport, NotificationEvent, ScenarioReport};

/// How an arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrowStyle {
    /// Bot → Graph, answered with a 2xx.
    Request,
    /// Bot → Graph, answered with an error status.
    RefusedRequest,
    /// Graph → bot, delivered.
    Notification,
    /// Graph → bot, not delivered (the bot answered an error, or could not be reached).
    FailedNotification,
    /// Graph ↔ a remote party, as the stand-in simulates it (not a real message).
    Simulated,
}

/// One arrow of the diagram, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceArrow {
    /// Lifeline indexes (0 = Bot, 1 = Graph, then the parties).
    pub from: usize,
    pub to: usize,
    pub label: String,
    /// Simulated time, for notifications.
    pub at: Option<Duration>,
    pub style: ArrowStyle,
    /// The full text, shown on hover.
    pub tooltip: String,
}

const BOT: usize = 0;
const GRAPH: usize = 1;
/// More lifelines than this make the diagram unreadable; further parties share the last one.
const MAX_PARTIES: usize = 6;

enum Item {
    Request(usize),
    Notification(usize),
}

/// Requests and notifications interleaved in the order they happened (see
/// [`ExchangeReport::after_notifications`]).
fn order(exchanges: &[ExchangeReport], notifications: &[NotificationEvent]) -> Vec<Item> {
    let exact = exchanges.iter().all(|e| e.after_notifications.is_some());
    let mut items = Vec::with_capacity(exchanges.len() + notifications.len());
    let mut sent = 0;
    for (i, exchange) in exchanges.iter().enumerate() {
        let anchor = if exact {
            exchange.after_notifications
        } else {
            caused_from(exchange, notifications, sent)
        };
        if let Some(anchor) = anchor {
            while sent < anchor.min(notifications.len()) {
                items.push(Item::Notification(sent));
                sent += 1;
            }
        }
        items.push(Item::Request(i));
        if !exact {
            // What the request caused at once comes before the next request.
            let caused = consequences(exchange, notifications, sent);
            items.extend((sent..caused).map(Item::Notification));
            sent = caused;
        }
    }
    items.extend((sent..notifications.len()).map(Item::Notification));
    items
}

/// The first notification (from `from` on) this request caused, if it causes any: a create's
/// call's first notification, a hang-up's `terminating`.
fn caused_from(
    exchange: &ExchangeReport,
    notifications: &[NotificationEvent],
    from: usize,
) -> Option<usize> {
    let call = exchange.call()?;
    let ends = exchange.method == "DELETE" && (200..300).contains(&exchange.status);
    if !exchange.created_call() && !ends {
        return None;
    }
    notifications[from..]
        .iter()
        .position(|n| {
            n.call_id.as_deref() == Some(call.as_str())
                && (!ends || n.label.contains("terminat") || n.label.starts_with("deleted"))
        })
        .map(|p| p + from)
}

/// Where the notifications a request caused at once end (from `from` on): a create's call's
/// notifications of the same simulated instant as its first, a hang-up's `terminating` and
/// `deleted`.
fn consequences(
    exchange: &ExchangeReport,
    notifications: &[NotificationEvent],
    from: usize,
) -> usize {
    let Some(call) = exchange.call() else {
        return from;
    };
    let ours = |n: &NotificationEvent| n.call_id.as_deref() == Some(call.as_str());
    let caused = notifications[from..].iter().take_while(|n| {
        if exchange.created_call() {
            ours(n) && n.at == notifications[from].at
        } else if exchange.method == "DELETE" && (200..300).contains(&exchange.status) {
            ours(n) && (n.label.contains("terminat") || n.label.starts_with("deleted"))
        } else {
            false
        }
    });
    from + caused.count()
}

/// The lifeline of a party, added when new.
fn lane(lifelines: &mut Vec<String>, name: &str) -> usize {
    if let Some(i) = lifelines.iter().position(|l| l == name) {
        return i;
    }
    if lifelines.len() >= 2 + MAX_PARTIES {
        return lifelines.len() - 1;
    }
    lifelines.push(name.to_owned());
    lifelines.len() - 1
}

/// What a request asks of the remote parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AskKind {
    /// A new call to its targets (or a meeting).
    Create,
    /// `participants/invite`.
    Invite,
    /// `transfer`.
    Transfer,
}

/// One request's parties, until they answer or decline.
struct Ask {
    exchange: usize,
    call: String,
    lanes: Vec<usize>,
    meeting: bool,
    kind: AskKind,
    /// Drawn, and not yet answered or declined.
    active: bool,
}

/// The parties a request asks to join, if it asks any: a created call's targets, a
/// `participants/invite`'s participants, a `transfer`'s target.
fn asked(exchange: &ExchangeReport) -> Option<(AskKind, Vec<String>)> {
    if !(200..300).contains(&exchange.status) || exchange.method != "POST" {
        return None;
    }
    let request: serde_json::Value = exchange
        .request_body
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default();
    let path = super::path_of(&exchange.url);
    let path = path.split('?').next().unwrap_or_default();
    if exchange.created_call() && path.ends_with("/calls") {
        return Some((AskKind::Create, parties_of(&request)));
    }
    let (kind, targets) = if path.ends_with("/participants/invite") {
        (AskKind::Invite, request["participants"].clone())
    } else if path.ends_with("/transfer") {
        (
            AskKind::Transfer,
            serde_json::Value::Array(vec![request["transferTarget"].clone()]),
        )
    } else {
        return None;
    };
    let parties = parties_of(&serde_json::json!({ "targets": targets }));
    (!parties.is_empty()).then_some((kind, parties))
}

/// A call's end that is the party's refusal, not a hang-up: any code but 0 and 200, or 200/5002
/// (Graph's code for a declined peer-to-peer call, from a capture; see FIDELITY.md).
fn refused(data: &serde_json::Value) -> bool {
    let info = &data["resultInfo"];
    match (info["code"].as_i64(), info["subcode"].as_i64()) {
        (Some(200), Some(5002)) => true,
        (Some(0) | Some(200) | None, _) => false,
        _ => true,
    }
}

/// The party's refusal in a word, with Graph's code: `declines (603/0)`, `busy (486/0)`.
fn refusal(data: &serde_json::Value) -> String {
    let info = &data["resultInfo"];
    let (code, subcode) = (info["code"].as_i64(), info["subcode"].as_i64());
    let word = match (code, subcode) {
        (Some(486), _) => "busy",
        (Some(408), _) => "does not answer",
        (Some(480), _) => "cannot be reached",
        _ => "declines",
    };
    match code {
        Some(code) => format!("{word} ({code}/{})", subcode.unwrap_or(0)),
        None => word.to_owned(),
    }
}

/// The lifelines (Bot, Graph, parties) and the arrows of a scenario.
pub fn sequence_of(scenario: &ScenarioReport) -> (Vec<String>, Vec<SequenceArrow>) {
    let mut lifelines = vec!["Bot".to_owned(), "Graph".to_owned()];
    for party in &scenario.parties {
        lane(&mut lifelines, party);
    }
    // Who each request asks to join (a create's targets, an invitee, a transfer target), to
    // draw the simulated invite and the party's answer: answers, or declines.
    let mut asks: Vec<Ask> = Vec::new();
    for (i, exchange) in scenario.exchanges.iter().enumerate() {
        let Some((kind, parties)) = asked(exchange) else {
            continue;
        };
        let meeting = parties.iter().any(|p| p == "Meeting");
        let lanes = parties.iter().map(|p| lane(&mut lifelines, p)).collect();
        if let Some(call) = exchange.call() {
            asks.push(Ask {
                exchange: i,
                call,
                lanes,
                meeting,
                kind,
                active: false,
            });
        }
    }

    let simulated = |from: usize, to: usize, label: &str| SequenceArrow {
        from,
        to,
        label: label.to_owned(),
        at: None,
        style: ArrowStyle::Simulated,
        tooltip: format!("{label} (simulated by the stand-in)"),
    };
    let mut arrows = Vec::new();
    let mut answered: Vec<String> = Vec::new();
    for item in order(&scenario.exchanges, &scenario.notifications) {
        match item {
            Item::Request(i) => {
                let exchange = &scenario.exchanges[i];
                let label = exchange.short_label();
                arrows.push(SequenceArrow {
                    from: BOT,
                    to: GRAPH,
                    tooltip: format!("{} {} → {}", exchange.method, exchange.url, exchange.status),
                    label,
                    at: None,
                    style: if (200..300).contains(&exchange.status) {
                        ArrowStyle::Request
                    } else {
                        ArrowStyle::RefusedRequest
                    },
                });
                for ask in asks.iter_mut().filter(|a| a.exchange == i) {
                    ask.active = true;
                    let label = match ask.kind {
                        AskKind::Create if ask.meeting => "join",
                        AskKind::Create | AskKind::Invite => "invite",
                        AskKind::Transfer => "transfer",
                    };
                    for lane in &ask.lanes {
                        arrows.push(simulated(GRAPH, *lane, label));
                    }
                }
            }
            Item::Notification(j) => {
                let n = &scenario.notifications[j];
                if n.label.ends_with("state=established") {
                    if let Some(call) = n.call_id.as_ref().filter(|c| !answered.contains(c)) {
                        let created = asks
                            .iter()
                            .find(|a| a.kind == AskKind::Create && a.call == *call);
                        if let Some(ask) = created {
                            if let Some(lane) = ask.lanes.first() {
                                let label = if ask.meeting { "connected" } else { "answers" };
                                arrows.push(simulated(*lane, GRAPH, label));
                            }
                        }
                        answered.push(call.clone());
                    }
                }
                // A party that turns the bot's request down.
                let data = serde_json::from_str::<serde_json::Value>(&n.body)
                    .map(|item| item["resourceData"].clone())
                    .unwrap_or_default();
                for ask in asks.iter_mut().filter(|a| a.active) {
                    if n.call_id.as_deref() != Some(ask.call.as_str()) {
                        continue;
                    }
                    let declined = match ask.kind {
                        // The call ends before anyone answered it.
                        AskKind::Create => {
                            !ask.meeting
                                && !answered.contains(&ask.call)
                                && data["state"] == "terminated"
                                && refused(&data)
                        }
                        AskKind::Invite => {
                            n.resource.contains("/operations/") && data["status"] == "failed"
                        }
                        // The call goes back to established: the target did not take it.
                        AskKind::Transfer => data["state"] == "established",
                    };
                    let settled = declined
                        || match ask.kind {
                            AskKind::Create => data["state"] == "terminated",
                            AskKind::Invite => n.resource.contains("/operations/"),
                            AskKind::Transfer => data["state"] == "transferAccepted",
                        };
                    if declined {
                        let label = refusal(&data);
                        for lane in &ask.lanes {
                            arrows.push(simulated(*lane, GRAPH, &label));
                        }
                    }
                    if settled {
                        ask.active = false;
                    }
                }
                let (label, style) = match &n.failure {
                    None => (n.label.clone(), ArrowStyle::Notification),
                    Some(why) => (
                        format!("{} ✗ {why}", n.label),
                        ArrowStyle::FailedNotification,
                    ),
                };
                arrows.push(SequenceArrow {
                    from: GRAPH,
                    to: BOT,
                    tooltip: format!("{label} {}", n.resource),
                    label,
                    at: n.at,
                    style,
                });
            }
        }
    }
    (lifelines, arrows)
}

const TIME_X: f64 = 8.0;
const FIRST_LANE: f64 = 150.0;
/// Bot to Graph: the request labels are long.
const BOT_GRAPH_GAP: f64 = 340.0;
const PARTY_GAP: f64 = 190.0;
const TOP: f64 = 64.0;
const ROW: f64 = 34.0;
const CHAR_WIDTH: f64 = 6.6;

fn lane_x(lane: usize) -> f64 {
    match lane {
        0 => FIRST_LANE,
        n => FIRST_LANE + BOT_GRAPH_GAP + (n - 1) as f64 * PARTY_GAP,
    }
}

fn fit(label: &str, width: f64) -> String {
    let max = ((width / CHAR_WIDTH) as usize).max(4);
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut short: String = label.chars().take(max - 1).collect();
        short.push('…');
        short
    }
}

fn text(s: &str) -> String {
    escape_html(&redact_tokens(s))
}

/// The diagram as an inline `<svg>`; empty when there is nothing to draw.
pub fn sequence_svg(lifelines: &[String], arrows: &[SequenceArrow]) -> String {
    if arrows.is_empty() {
        return String::new();
    }
    let last = lifelines.len().max(2) - 1;
    let width = lane_x(last) + 110.0;
    let height = TOP + arrows.len() as f64 * ROW + 24.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="sequence" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12"><title>Sequence diagram: {}</title>"##,
        text(&lifelines.join(", "))
    );
    // Lifelines: a box with the name, a dashed line down.
    for (i, name) in lifelines.iter().enumerate() {
        let x = lane_x(i);
        let fill = match i {
            BOT => "#ddf4ff",
            GRAPH => "#fbefff",
            _ => "#fff8c5",
        };
        let _ = write!(
            svg,
            r##"<g class="lifeline"><line x1="{x}" y1="38" x2="{x}" y2="{}" stroke="#8c959f" stroke-dasharray="4 4"/><rect x="{}" y="8" width="128" height="30" rx="5" fill="{fill}" stroke="#57606a"/><text x="{x}" y="28" text-anchor="middle" font-weight="600">{}</text></g>"##,
            height - 8.0,
            x - 64.0,
            text(&fit(name, 120.0))
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{TIME_X}" y="28" fill="#57606a" font-size="11">sim. time</text>"##
    );
    for (row, arrow) in arrows.iter().enumerate() {
        let y = TOP + row as f64 * ROW + 14.0;
        let (x1, x2) = (lane_x(arrow.from), lane_x(arrow.to));
        let color = match arrow.style {
            ArrowStyle::Request => "#0969da",
            ArrowStyle::RefusedRequest => "#bc4c00",
            ArrowStyle::Notification => "#1a7f37",
            ArrowStyle::FailedNotification => "#cf222e",
            ArrowStyle::Simulated => "#8c959f",
        };
        let class = match arrow.style {
            ArrowStyle::Request => "request",
            ArrowStyle::RefusedRequest => "request refused",
            ArrowStyle::Notification => "notification",
            ArrowStyle::FailedNotification => "notification failed",
            ArrowStyle::Simulated => "simulated",
        };
        let dash = if arrow.style == ArrowStyle::Simulated {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let dir = if x2 >= x1 { 1.0 } else { -1.0 };
        let tip = x2 - dir * 2.0;
        let _ = write!(
            svg,
            r##"<g class="arrow {class}"><title>{}</title><line x1="{x1}" y1="{y}" x2="{}" y2="{y}" stroke="{color}" stroke-width="1.6"{dash}/><polygon points="{tip},{y} {},{} {},{}" fill="{color}"/><text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text></g>"##,
            text(&arrow.tooltip),
            tip - dir * 8.0,
            tip - dir * 10.0,
            y - 5.0,
            tip - dir * 10.0,
            y + 5.0,
            (x1 + x2) / 2.0,
            y - 6.0,
            if arrow.style == ArrowStyle::Simulated {
                "#57606a"
            } else {
                color
            },
            text(&fit(&arrow.label, (x2 - x1).abs() - 12.0))
        );
        if let Some(at) = arrow.at {
            let _ = write!(
                svg,
                r##"<text class="time" x="{TIME_X}" y="{}" fill="#57606a" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="11">{}</text>"##,
                y + 4.0,
                format_at(at)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(id: &str) -> ExchangeReport {
        ExchangeReport {
            method: "POST".into(),
            url: "http://127.0.0.1:1/v1.0/communications/calls".into(),
            request_body: Some(
                json!({"targets": [{"identity": {"user": {"id": "u", "displayName": "John"}}}]})
                    .to_string(),
            ),
            status: 201,
            response_body: json!({"id": id}).to_string(),
            after_notifications: None,
        }
    }

    fn note(call: &str, state: &str, at_ms: u64) -> NotificationEvent {
        NotificationEvent::from_item(
            &json!({"changeType": "updated", "resourceUrl": format!("/communications/calls/{call}"),
                    "resourceData": {"state": state}}),
            Some(Duration::from_millis(at_ms)),
            None,
        )
    }

    #[test]
    fn requests_come_before_what_they_cause() {
        let hang_up = ExchangeReport {
            method: "DELETE".into(),
            url: "http://127.0.0.1:1/v1.0/communications/calls/c1".into(),
            status: 204,
            ..Default::default()
        };
        let get = ExchangeReport {
            method: "GET".into(),
            url: "http://127.0.0.1:1/v1.0/communications/calls/c1".into(),
            status: 404,
            ..Default::default()
        };
        let scenario = ScenarioReport {
            exchanges: vec![create("c1"), get.clone(), hang_up, get],
            notifications: vec![
                note("c1", "establishing", 0),
                note("c1", "established", 1000),
                note("c1", "terminating", 1500),
                note("c1", "terminated", 1500),
            ],
            ..Default::default()
        };
        let (lifelines, arrows) = sequence_of(&scenario);
        assert_eq!(lifelines, ["Bot", "Graph", "John"]);
        let labels: Vec<_> = arrows.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "POST /v1.0/communications/calls → 201",
                "invite",
                "updated state=establishing",
                "GET /v1.0/communications/calls/c1 → 404",
                "answers",
                "updated state=established",
                "DELETE /v1.0/communications/calls/c1 → 204",
                "updated state=terminating",
                "updated state=terminated",
                "GET /v1.0/communications/calls/c1 → 404",
            ]
        );
        assert_eq!(arrows[5].at, Some(Duration::from_secs(1)));
        assert_eq!((arrows[5].from, arrows[5].to), (GRAPH, BOT));
        assert_eq!(arrows[3].style, ArrowStyle::RefusedRequest);
    }

    #[test]
    fn known_positions_win_over_the_guess() {
        let mut get = ExchangeReport {
            method: "GET".into(),
            url: "http://h/v1.0/communications/calls/c1".into(),
            status: 200,
            after_notifications: Some(2),
            ..Default::default()
        };
        let mut first = create("c1");
        first.after_notifications = Some(0);
        get.after_notifications = Some(2);
        let scenario = ScenarioReport {
            exchanges: vec![first, get],
            notifications: vec![
                note("c1", "establishing", 0),
                note("c1", "established", 1000),
            ],
            ..Default::default()
        };
        let (_, arrows) = sequence_of(&scenario);
        assert_eq!(
            arrows.last().unwrap().label,
            "GET /v1.0/communications/calls/c1 → 200"
        );
    }

    #[test]
    fn a_failed_delivery_is_a_red_arrow_and_text_is_escaped() {
        let mut failed = note("c1", "established", 1000);
        failed.failure = Some("500 <oops>".into());
        let scenario = ScenarioReport {
            notifications: vec![failed],
            parties: vec!["A & B".into()],
            ..Default::default()
        };
        let (lifelines, arrows) = sequence_of(&scenario);
        assert_eq!(arrows[0].style, ArrowStyle::FailedNotification);
        let svg = sequence_svg(&lifelines, &arrows);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("#cf222e"));
        assert!(svg.contains("A &amp; B"));
        assert!(svg.contains("500 &lt;oops&gt;"));
        assert!(svg.contains("+1.000 s"));
        assert!(!svg.contains("<oops>"));
    }

    fn item(call: &str, suffix: &str, data: serde_json::Value) -> NotificationEvent {
        NotificationEvent::from_item(
            &json!({"changeType": "updated",
                    "resourceUrl": format!("/communications/calls/{call}{suffix}"),
                    "resourceData": data}),
            Some(Duration::from_millis(100)),
            None,
        )
    }

    fn post(path: &str, body: serde_json::Value) -> ExchangeReport {
        ExchangeReport {
            method: "POST".into(),
            url: format!("http://127.0.0.1:1/v1.0/communications/calls/c1/{path}"),
            request_body: Some(body.to_string()),
            status: 200,
            response_body: "{}".into(),
            after_notifications: None,
        }
    }

    fn labels(arrows: &[SequenceArrow]) -> Vec<(usize, usize, &str)> {
        arrows
            .iter()
            .map(|a| (a.from, a.to, a.label.as_str()))
            .collect()
    }

    #[test]
    fn a_callee_that_declines_draws_its_refusal() {
        let scenario = ScenarioReport {
            exchanges: vec![create("c1")],
            notifications: vec![
                note("c1", "establishing", 0),
                item(
                    "c1",
                    "",
                    json!({"state": "terminated", "resultInfo": {"code": 200, "subcode": 5002}}),
                ),
            ],
            ..Default::default()
        };
        let (_, arrows) = sequence_of(&scenario);
        assert_eq!(
            labels(&arrows),
            [
                (BOT, GRAPH, "POST /v1.0/communications/calls → 201"),
                (GRAPH, 2, "invite"),
                (GRAPH, BOT, "updated state=establishing"),
                (2, GRAPH, "declines (200/5002)"),
                (GRAPH, BOT, "updated state=terminated"),
            ]
        );
        // A hang-up (0 or another 200) is no refusal.
        let mut hung_up = scenario.clone();
        hung_up.notifications[1] = item(
            "c1",
            "",
            json!({"state": "terminated", "resultInfo": {"code": 0, "subcode": 0}}),
        );
        let (_, arrows) = sequence_of(&hung_up);
        assert!(
            arrows.iter().all(|a| a.to != GRAPH || a.from == BOT),
            "{arrows:?}"
        );
    }

    #[test]
    fn an_invitee_or_a_transfer_target_that_declines_draws_its_refusal() {
        let alice = json!({"identity": {"user": {"id": "a", "displayName": "Alice"}}});
        let invite = post(
            "participants/invite",
            json!({"participants": [alice.clone()]}),
        );
        let scenario = ScenarioReport {
            exchanges: vec![invite],
            notifications: vec![item(
                "c1",
                "/operations/o1",
                json!({"status": "failed", "resultInfo": {"code": 603, "subcode": 0}}),
            )],
            ..Default::default()
        };
        let (lifelines, arrows) = sequence_of(&scenario);
        assert_eq!(lifelines, ["Bot", "Graph", "Alice"]);
        assert_eq!(
            labels(&arrows)[1..3],
            [(GRAPH, 2, "invite"), (2, GRAPH, "declines (603/0)")]
        );

        let transfer = post("transfer", json!({"transferTarget": alice}));
        let scenario = ScenarioReport {
            exchanges: vec![transfer],
            notifications: vec![
                item("c1", "", json!({"state": "transferring"})),
                item(
                    "c1",
                    "",
                    json!({"state": "established", "resultInfo": {"code": 500, "subcode": 7000}}),
                ),
            ],
            ..Default::default()
        };
        let (_, arrows) = sequence_of(&scenario);
        assert_eq!(
            labels(&arrows)[1..],
            [
                (GRAPH, 2, "transfer"),
                (GRAPH, BOT, "updated state=transferring"),
                (2, GRAPH, "declines (500/7000)"),
                (GRAPH, BOT, "updated state=established"),
            ]
        );
    }

    #[test]
    fn long_labels_are_shortened_and_nothing_means_no_diagram() {
        assert_eq!(fit("abcdefghij", 6.6 * 5.0), "abcd…");
        assert_eq!(fit("abc", 100.0), "abc");
        assert_eq!(sequence_svg(&["Bot".into(), "Graph".into()], &[]), "");
    }
}
