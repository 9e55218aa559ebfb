//! The report page: a summary table with a row per scenario, then each scenario's steps,
//! sequence diagram, requests and notifications. Every text is escaped; tokens never show.

use std::fmt::Write as _;
use std::time::Duration;

use super::sequence::{sequence_of, sequence_svg};
pub use super::text::{escape_html, redact_tokens};
use super::{format_at, HtmlReport, ReportStatus, ScenarioReport};

fn text(s: &str) -> String {
    escape_html(&redact_tokens(s))
}

fn seconds(d: Duration) -> String {
    format!("{}.{:03} s", d.as_secs(), d.subsec_millis())
}

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f6f8fa; }
header { background: #24292f; color: #fff; padding: 14px 24px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .totals span { font-weight: 600; }
main { padding: 16px 24px 40px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
h3 { font-size: 13px; margin: 14px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: #57606a; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #d8dee4; vertical-align: top; }
th { background: #eaeef2; font-size: 12px; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; min-width: 56px; text-align: center; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.passed { background: #1a7f37; } .badge.failed { background: #cf222e; }
.badge.skipped, .badge.not.run { background: #9a6700; }
.problems { background: #ffebe9; border: 1px solid #ff8182; padding: 8px 16px; }
section.scenario { background: #fff; border: 1px solid #d0d7de; border-left: 5px solid #1a7f37; border-radius: 6px; margin: 12px 0; }
section.scenario.failed { border-left-color: #cf222e; }
section.scenario.skipped { border-left-color: #9a6700; }
section.scenario > details > summary { cursor: pointer; padding: 8px 12px; font-weight: 600; }
section.scenario .body { padding: 0 16px 12px; }
.where { color: #57606a; font-weight: normal; font-size: 12px; }
ol.steps { list-style: none; padding: 0; margin: 0; }
ol.steps li { padding: 2px 0; }
ol.steps .mark { display: inline-block; width: 1.4em; font-weight: 700; }
ol.steps li.passed .mark { color: #1a7f37; } ol.steps li.failed .mark { color: #cf222e; }
ol.steps li.skipped .mark, ol.steps li.not.run .mark { color: #9a6700; }
ol.steps li.not.run { color: #8c959f; }
.kw { font-weight: 600; }
pre { white-space: pre-wrap; word-break: break-word; margin: 4px 0 6px 1.4em; padding: 8px; background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; max-height: 520px; overflow: auto; }
pre.failure { background: #fff5f5; border-color: #ff8182; }
.at { margin: 2px 0 0 1.4em; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #57606a; }
.diff-add { color: #116329; background: #dafbe1; display: inline-block; width: 100%; }
.diff-del { color: #82071e; background: #ffebe9; display: inline-block; width: 100%; }
.diagram { overflow-x: auto; background: #fff; border: 1px solid #d8dee4; border-radius: 4px; padding: 4px; }
details.exchange > summary, details.note > summary { cursor: pointer; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; padding: 2px 0; }
.status-ok { color: #1a7f37; } .status-bad { color: #cf222e; }
.muted { color: #57606a; }
"#;

/// The whole report as one self-contained HTML page.
pub fn render_html(report: &HtmlReport) -> String {
    let passed = report
        .scenarios
        .iter()
        .filter(|s| s.status == ReportStatus::Passed)
        .count();
    let failed = report
        .scenarios
        .iter()
        .filter(|s| s.status == ReportStatus::Failed)
        .count();
    let skipped = report.scenarios.len() - passed - failed;
    let title = if report.title.is_empty() {
        "callspec report"
    } else {
        &report.title
    };
    // Failures first, then skipped, then passed; each group in run order.
    let mut order: Vec<usize> = (0..report.scenarios.len()).collect();
    order.sort_by_key(|i| match report.scenarios[*i].status {
        ReportStatus::Failed => 0,
        ReportStatus::Skipped | ReportStatus::NotRun => 1,
        ReportStatus::Passed => 2,
    });

    let mut html = String::with_capacity(16 * 1024 + report.scenarios.len() * 8 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header><h1>{}</h1><div class=\"totals\"><span>{passed} passed</span>, <span>{failed} failed</span>{}{} · {} scenario(s){}</div></header>\n<main>\n",
        text(title),
        text(title),
        if skipped > 0 { format!(", <span>{skipped} skipped</span>") } else { String::new() },
        if report.problems.is_empty() { String::new() } else { format!(", <span>{} problem(s) in feature files</span>", report.problems.len()) },
        report.scenarios.len(),
        report.wall_time.map(|d| format!(" in {} of wall time", seconds(d))).unwrap_or_default(),
    );
    if !report.problems.is_empty() {
        html.push_str("<div class=\"problems\"><h2>Problems in feature files</h2><ul>");
        for problem in &report.problems {
            let _ = write!(html, "<li><pre>{}</pre></li>", text(problem));
        }
        html.push_str("</ul></div>\n");
    }

    features_table(&mut html, report);

    html.push_str("<h2>Scenarios (failures first)</h2>\n<table class=\"summary\"><thead><tr><th>status</th><th>scenario</th><th>rule</th><th>feature</th><th class=\"num\">duration</th></tr></thead><tbody>\n");
    for &i in &order {
        let s = &report.scenarios[i];
        let _ = writeln!(
            html,
            "<tr class=\"{status}\"><td><span class=\"badge {status}\">{status}</span></td><td><a href=\"#s{i}\">{name}</a></td><td>{rule}</td><td>{feature}</td><td class=\"num\">{duration}</td></tr>",
            status = s.status.as_str(),
            name = text(&s.name),
            rule = s.rule.as_deref().map(text).unwrap_or_default(),
            feature = where_of(s),
            duration = s.duration.map(seconds).unwrap_or_default(),
        );
    }
    html.push_str("</tbody></table>\n");

    for &i in &order {
        scenario_section(&mut html, i, &report.scenarios[i]);
    }
    html.push_str("</main>\n</body>\n</html>\n");
    html
}

/// A row per feature file: its name, its rules, and how its scenarios ended.
fn features_table(html: &mut String, report: &HtmlReport) {
    struct Counts<'a> {
        path: &'a str,
        name: &'a str,
        rules: Vec<&'a str>,
        passed: usize,
        failed: usize,
        other: usize,
    }
    let mut features: Vec<Counts> = Vec::new();
    for s in &report.scenarios {
        let at = match features.iter().position(|f| f.path == s.feature_path) {
            Some(at) => at,
            None => {
                features.push(Counts {
                    path: &s.feature_path,
                    name: &s.feature_name,
                    rules: Vec::new(),
                    passed: 0,
                    failed: 0,
                    other: 0,
                });
                features.len() - 1
            }
        };
        let f = &mut features[at];
        if let Some(rule) = s.rule.as_deref() {
            if !f.rules.contains(&rule) {
                f.rules.push(rule);
            }
        }
        match s.status {
            ReportStatus::Passed => f.passed += 1,
            ReportStatus::Failed => f.failed += 1,
            _ => f.other += 1,
        }
    }
    html.push_str("<h2>Features</h2>\n<table class=\"features\"><thead><tr><th>feature</th><th>rules</th><th class=\"num\">passed</th><th class=\"num\">failed</th><th class=\"num\">skipped</th></tr></thead><tbody>\n");
    for f in &features {
        let _ = writeln!(
            html,
            "<tr class=\"{}\"><td>{} <span class=\"where\">{}</span></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            if f.failed > 0 { "feature-failed" } else { "feature-passed" },
            text(f.name),
            text(f.path),
            f.rules.iter().map(|r| text(r)).collect::<Vec<_>>().join("<br>"),
            f.passed,
            f.failed,
            f.other,
        );
    }
    html.push_str("</tbody></table>\n");
}

fn where_of(s: &ScenarioReport) -> String {
    let mut at = text(&s.feature_path);
    if s.line > 0 {
        let _ = write!(at, ":{}", s.line);
    }
    at
}

fn scenario_section(html: &mut String, i: usize, s: &ScenarioReport) {
    let status = s.status.as_str();
    let _ = write!(
        html,
        "<section class=\"scenario {status}\" id=\"s{i}\"><details{}><summary><span class=\"badge {status}\">{status}</span> {} <span class=\"where\">— {}{}{} · {}</span></summary>\n<div class=\"body\">\n",
        if s.status == ReportStatus::Failed { " open" } else { "" },
        text(&s.name),
        text(&s.feature_name),
        s.rule.as_deref().map(|r| format!(" / {}", text(r))).unwrap_or_default(),
        if s.feature_name.is_empty() { String::new() } else { " · ".to_owned() } + &where_of(s),
        s.duration.map(seconds).unwrap_or_else(|| "—".into()),
    );

    html.push_str("<h3>Steps</h3>\n<ol class=\"steps\">\n");
    for step in &s.steps {
        let mark = match step.status {
            ReportStatus::Passed => "✔",
            ReportStatus::Failed => "✘",
            ReportStatus::Skipped => "↷",
            ReportStatus::NotRun => "○",
        };
        let _ = write!(
            html,
            "<li class=\"{}\"><span class=\"mark\">{mark}</span><span class=\"kw\">{}</span> {}",
            step.status.as_str(),
            text(step.keyword.trim()),
            text(&step.text)
        );
        if let Some(attachment) = &step.attachment {
            let _ = write!(html, "<pre>{}</pre>", text(attachment));
        }
        if let Some(at) = &step.at {
            let _ = write!(html, "<div class=\"at\">at {}</div>", text(at));
        }
        if let Some(failure) = &step.failure {
            let _ = write!(
                html,
                "<pre class=\"failure\">{}</pre>",
                failure_html(failure)
            );
        }
        html.push_str("</li>\n");
    }
    html.push_str("</ol>\n");
    for error in &s.errors {
        let _ = writeln!(html, "<pre class=\"failure\">{}</pre>", failure_html(error));
    }

    let (lifelines, arrows) = sequence_of(s);
    html.push_str("<h3>Sequence</h3>\n");
    if arrows.is_empty() {
        html.push_str("<p class=\"muted\">No requests and no notifications.</p>\n");
    } else {
        let _ = writeln!(
            html,
            "<div class=\"diagram\">{}</div>",
            sequence_svg(&lifelines, &arrows)
        );
    }

    if !s.exchanges.is_empty() {
        html.push_str("<h3>Requests</h3>\n");
        for exchange in &s.exchanges {
            let ok = (200..300).contains(&exchange.status);
            let _ = write!(
                html,
                "<details class=\"exchange\"><summary>{} {} → <span class=\"{}\">{}</span></summary>",
                text(&exchange.method),
                text(&exchange.url),
                if ok { "status-ok" } else { "status-bad" },
                exchange.status
            );
            match &exchange.request_body {
                Some(body) => {
                    let _ = write!(
                        html,
                        "<div class=\"muted\">request</div><pre>{}</pre>",
                        text(&pretty(body))
                    );
                }
                None => html.push_str("<div class=\"muted\">no request body</div>"),
            }
            if exchange.response_body.is_empty() {
                html.push_str("<div class=\"muted\">no response body</div>");
            } else {
                let _ = write!(
                    html,
                    "<div class=\"muted\">response {}</div><pre>{}</pre>",
                    exchange.status,
                    text(&pretty(&exchange.response_body))
                );
            }
            html.push_str("</details>\n");
        }
    }

    if !s.notifications.is_empty() {
        html.push_str("<h3>Notifications</h3>\n");
        for n in &s.notifications {
            let outcome = match &n.failure {
                None => "<span class=\"status-ok\">delivered</span>".to_owned(),
                Some(why) => format!(
                    "<span class=\"status-bad\">not delivered: {}</span>",
                    text(why)
                ),
            };
            let _ = writeln!(
                html,
                "<details class=\"note\"><summary>{} {} <span class=\"muted\">{}</span> — {outcome}</summary><pre>{}</pre></details>",
                n.at.map(format_at).unwrap_or_default(),
                text(&n.label),
                text(&n.resource),
                text(&n.body)
            );
        }
    }
    html.push_str("</div></details></section>\n");
}

/// A JSON body indented; anything else as sent.
fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_owned())
}

/// A failure message, escaped, with the lines of its diff coloured.
fn failure_html(message: &str) -> String {
    let message = redact_tokens(message);
    let mut out = String::with_capacity(message.len() + 64);
    let mut in_diff = false;
    for line in message.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("Diff") {
            in_diff = true;
        }
        let class = match trimmed.chars().next() {
            Some('+') if in_diff => Some("diff-add"),
            Some('-') if in_diff => Some("diff-del"),
            _ => None,
        };
        match class {
            Some(class) => {
                let _ = writeln!(out, "<span class=\"{class}\">{}</span>", escape_html(line));
            }
            None => {
                out.push_str(&escape_html(line));
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{ExchangeReport, NotificationEvent, StepReport};
    use super::*;
    use serde_json::json;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("plain"), "plain");
    }

    #[test]
    fn tokens_and_colour_codes_never_show() {
        let text = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln and \x1b[31mred\x1b[0m";
        assert_eq!(redact_tokens(text), "Bearer <redacted> and red");
    }

    fn sample() -> HtmlReport {
        HtmlReport {
            title: "run <1>".into(),
            problems: vec!["bad.feature: not a valid feature file".into()],
            scenarios: vec![
                ScenarioReport {
                    feature_path: "features/a.feature".into(),
                    feature_name: "A".into(),
                    name: "passes".into(),
                    line: 3,
                    status: ReportStatus::Passed,
                    duration: Some(Duration::from_millis(12)),
                    steps: vec![StepReport {
                        keyword: "Given ".into(),
                        text: "the app has the permissions \"<x>\"".into(),
                        status: ReportStatus::Passed,
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                ScenarioReport {
                    feature_path: "features/a.feature".into(),
                    feature_name: "A".into(),
                    name: "fails & shows why".into(),
                    line: 9,
                    status: ReportStatus::Failed,
                    steps: vec![
                        StepReport {
                            keyword: "Then ".into(),
                            text: "the response status is 200".into(),
                            status: ReportStatus::Failed,
                            failure: Some("expected 200, got 201 <script>\nDiff (- expected, + actual):\n-  \"a\": 1\n+  \"a\": 2\n token eyJabc.def".into()),
                            at: Some("features/a.feature:11:5".into()),
                            ..Default::default()
                        },
                        StepReport {
                            keyword: "And ".into(),
                            text: "more".into(),
                            ..Default::default()
                        },
                    ],
                    exchanges: vec![ExchangeReport {
                        method: "POST".into(),
                        url: "http://127.0.0.1:1/v1.0/communications/calls".into(),
                        request_body: Some(json!({"targets": [{"identity": {"user": {"displayName": "John"}}}]}).to_string()),
                        status: 201,
                        response_body: json!({"id": "c1"}).to_string(),
                        after_notifications: None,
                    }],
                    notifications: vec![NotificationEvent::from_item(
                        &json!({"changeType": "updated", "resourceUrl": "/communications/calls/c1", "resourceData": {"state": "established"}}),
                        Some(Duration::from_secs(1)),
                        None,
                    )],
                    ..Default::default()
                },
            ],
            wall_time: None,
        }
    }

    #[test]
    fn failures_come_first_with_per_feature_counts_rules_and_the_wall_time() {
        let mut report = sample();
        report.scenarios[0].rule = Some("Calls are answered".into());
        report.scenarios[0].duration = Some(Duration::from_secs(40));
        report.wall_time = Some(Duration::from_millis(2500));
        let html = render_html(&report);
        // The run's wall time, not the 40 s the scenarios add up to.
        assert!(
            html.contains("2 scenario(s) in 2.500 s of wall time"),
            "{html}"
        );
        assert!(!html.contains("40.000 s of"));
        let rows = &html[html.find("<table class=\"summary\"").unwrap()..];
        assert!(
            rows.find("fails &amp; shows why").unwrap() < rows.find(">passes<").unwrap(),
            "the failure is listed first"
        );
        let sections = &html[html.find("<section").unwrap()..];
        assert!(sections.find("fails &amp; shows why").unwrap() < sections.find("passes").unwrap());
        let features = &html[html.find("<table class=\"features\"").unwrap()..];
        let features = &features[..features.find("</table>").unwrap()];
        assert!(features.contains("features/a.feature"), "{features}");
        assert!(features.contains("Calls are answered"), "{features}");
        assert!(
            features.contains(
                "<td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">0</td>"
            ),
            "{features}"
        );
    }

    #[test]
    fn the_page_is_self_contained_and_escaped() {
        let html = render_html(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>run &lt;1&gt;</title>"));
        assert!(html.contains("1 passed</span>, <span>1 failed"));
        assert!(html.contains("the app has the permissions &quot;&lt;x&gt;&quot;"));
        assert!(html.contains("fails &amp; shows why"));
        assert!(html.contains("expected 200, got 201 &lt;script&gt;"));
        // The failed step's place, as the console says it.
        assert!(html.contains("<div class=\"at\">at features/a.feature:11:5</div>"));
        assert!(html.contains("<span class=\"diff-del\">-  &quot;a&quot;: 1</span>"));
        assert!(html.contains("<span class=\"diff-add\">+  &quot;a&quot;: 2</span>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("eyJ"));
        assert!(html.contains("<svg class=\"sequence\""));
        assert!(html.contains("updated state=established"));
        assert!(html.contains("+1.000 s"));
        assert!(html.contains("POST /v1.0/communications/calls → 201"));
        assert!(html.contains("bad.feature: not a valid feature file"));
        assert!(html.contains("<details open>"));
        // No external resources of any kind.
        for needle in ["<script", "<link", "src=", "@import", "url("] {
            assert!(!html.contains(needle), "{needle}");
        }
    }
}
