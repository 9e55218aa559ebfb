//! Recordings of scenarios as HAR 1.2 files (`callspec run --record DIR`), and reading them back
//! (`callspec drift DIR`).
//!
//! One file per scenario. Its single page is the scenario; its entries, in the order things
//! happened, are the bot's requests to Graph and the notification POSTs Graph made to the bot,
//! each with headers and time. Custom fields (HAR allows `_`-prefixed ones) say which is which
//! (`entry._callspec.kind`) and what the scenario was (`log._callspec`). No token or secret is
//! ever written: `Authorization` values and anything shaped like a JWT are replaced by
//! `<redacted>`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::report::redact_tokens;

/// What can go wrong reading or writing a recording.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Content { file: PathBuf, message: String },
    #[error("cannot read {file}: {message}")]
    Unreadable { file: PathBuf, message: String },
    #[error("cannot write {file}: {message}")]
    Unwritable { file: PathBuf, message: String },
}

/// Which side of the run an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A request the bot sent to Graph, and Graph's answer.
    Request,
    /// A notification Graph POSTed to the bot's callback, and the bot's answer.
    Notification,
}

/// One HTTP exchange of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedExchange {
    pub kind: EntryKind,
    /// When the request was sent (or the notification arrived).
    pub at: SystemTime,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    /// `None`: the answer's body was not recorded (only its status is known).
    pub response_body: Option<String>,
    pub elapsed: Duration,
}

impl RecordedExchange {
    /// The request body as JSON, if it is.
    pub fn request_json(&self) -> Option<Value> {
        serde_json::from_str(self.request_body.as_deref()?).ok()
    }

    /// The response body as JSON, if it is.
    pub fn response_json(&self) -> Option<Value> {
        serde_json::from_str(self.response_body.as_deref()?).ok()
    }

    pub fn request_header(&self, name: &str) -> Option<&str> {
        header(&self.request_headers, name)
    }

    pub fn response_header(&self, name: &str) -> Option<&str> {
        header(&self.response_headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The scenario a recording is of, and the story the stand-in needs to replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RecordingInfo {
    /// The feature file, relative to where the run started.
    pub feature: String,
    pub line: usize,
    pub scenario: String,
    /// `live` or `mock`.
    pub target: String,
    /// The other side of the calls, in the admin API's script shape (`POST /_callspec/script`):
    /// a mock run keeps the scenario's; a live recording has none (the stand-in's default: the
    /// callee answers) unless someone adds what the real other side did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<Value>,
    /// The bot's callback URL in the recorded run: requests naming it get the replay's inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// The roles of the bot's token (`Calls.Initiate.All`, ...); absent: every calling role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// How long the scenario ran, in seconds from the page's start (simulated time in mock
    /// mode): what Graph would have sent later was never recorded. Absent: until the last entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
}

/// One recorded scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub info: RecordingInfo,
    /// When the scenario started: entries' times count from here.
    pub started: SystemTime,
    /// In the order they happened.
    pub entries: Vec<RecordedExchange>,
}

// ---------------------------------------------------------------------------------------------
// The HAR 1.2 shape (http://www.softwareishard.com/blog/har-12-spec/), fields in its order.

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Har {
    log: Log,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Log {
    version: String,
    creator: Creator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    browser: Option<Creator>,
    #[serde(default)]
    pages: Vec<Page>,
    entries: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(rename = "_callspec")]
    callspec: RecordingInfo,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Creator {
    name: String,
    version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Page {
    started_date_time: String,
    id: String,
    title: String,
    #[serde(default)]
    page_timings: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pageref: Option<String>,
    started_date_time: String,
    #[serde(default)]
    time: f64,
    request: HarRequest,
    response: HarResponse,
    #[serde(default)]
    cache: Value,
    #[serde(default)]
    timings: Value,
    #[serde(
        default,
        rename = "serverIPAddress",
        skip_serializing_if = "Option::is_none"
    )]
    server_ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    connection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(rename = "_callspec")]
    callspec: EntryInfo,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryInfo {
    kind: EntryKind,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HarRequest {
    method: String,
    url: String,
    #[serde(default = "http11")]
    http_version: String,
    #[serde(default)]
    cookies: Vec<Value>,
    #[serde(default)]
    headers: Vec<NameValue>,
    #[serde(default)]
    query_string: Vec<NameValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    post_data: Option<PostData>,
    #[serde(default = "unknown_size")]
    headers_size: i64,
    #[serde(default = "unknown_size")]
    body_size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HarResponse {
    status: u16,
    #[serde(default)]
    status_text: String,
    #[serde(default = "http11")]
    http_version: String,
    #[serde(default)]
    cookies: Vec<Value>,
    #[serde(default)]
    headers: Vec<NameValue>,
    #[serde(default)]
    content: Content,
    #[serde(default, rename = "redirectURL")]
    redirect_url: String,
    #[serde(default = "unknown_size")]
    headers_size: i64,
    #[serde(default = "unknown_size")]
    body_size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameValue {
    name: String,
    value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PostData {
    mime_type: String,
    #[serde(default)]
    text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    params: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Content {
    #[serde(default)]
    size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    compression: Option<i64>,
    #[serde(default)]
    mime_type: String,
    /// Absent: the body was not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

fn http11() -> String {
    "HTTP/1.1".to_owned()
}

fn unknown_size() -> i64 {
    -1
}

const PAGE_ID: &str = "scenario";

/// Replaces what must never be written: `Authorization` values, JWT-shaped strings, and the
/// given secrets.
struct Redactor<'s> {
    secrets: &'s [&'s str],
}

impl Redactor<'_> {
    fn text(&self, text: &str) -> String {
        for secret in self.secrets {
            crate::redact::register_secret(secret);
        }
        redact_tokens(text)
    }

    fn headers(&self, headers: &[(String, String)]) -> Vec<NameValue> {
        headers
            .iter()
            .map(|(name, value)| NameValue {
                name: name.clone(),
                value: if name.eq_ignore_ascii_case("authorization")
                    || name.eq_ignore_ascii_case("cookie")
                    || name.eq_ignore_ascii_case("set-cookie")
                {
                    crate::inbox::redact_authorization(value)
                } else {
                    self.text(value)
                },
                comment: None,
            })
            .collect()
    }
}

fn mime_of(headers: &[(String, String)]) -> String {
    header(headers, "content-type")
        .unwrap_or("application/json")
        .to_owned()
}

fn query_of(url: &str) -> Vec<NameValue> {
    url::Url::parse(url)
        .map(|u| {
            u.query_pairs()
                .map(|(n, v)| NameValue {
                    name: n.into_owned(),
                    value: v.into_owned(),
                    comment: None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn status_text(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default()
        .to_owned()
}

fn timestamp(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

impl Recording {
    /// The recording as a HAR 1.2 document, with every token and each of `secrets` redacted.
    pub fn to_har(&self, secrets: &[&str]) -> String {
        let redact = Redactor { secrets };
        let entries = self
            .entries
            .iter()
            .map(|e| {
                let request_body = e.request_body.as_ref().map(|b| redact.text(b));
                let response_body = e.response_body.as_ref().map(|b| redact.text(b));
                let ms = e.elapsed.as_secs_f64() * 1000.0;
                Entry {
                    pageref: Some(PAGE_ID.to_owned()),
                    started_date_time: timestamp(e.at),
                    time: ms,
                    request: HarRequest {
                        method: e.method.clone(),
                        url: redact.text(&e.url),
                        http_version: http11(),
                        cookies: Vec::new(),
                        headers: redact.headers(&e.request_headers),
                        query_string: query_of(&e.url),
                        body_size: request_body.as_ref().map_or(0, |b| b.len() as i64),
                        post_data: request_body.map(|text| PostData {
                            mime_type: mime_of(&e.request_headers),
                            text,
                            params: Vec::new(),
                            comment: None,
                        }),
                        headers_size: -1,
                        comment: None,
                    },
                    response: HarResponse {
                        status: e.status,
                        status_text: status_text(e.status),
                        http_version: http11(),
                        cookies: Vec::new(),
                        headers: redact.headers(&e.response_headers),
                        body_size: response_body.as_ref().map_or(-1, |b| b.len() as i64),
                        content: Content {
                            size: response_body.as_ref().map_or(0, |b| b.len() as i64),
                            compression: None,
                            mime_type: header(&e.response_headers, "content-type")
                                .unwrap_or_default()
                                .to_owned(),
                            text: response_body,
                            encoding: None,
                            comment: None,
                        },
                        redirect_url: header(&e.response_headers, "location")
                            .filter(|_| (300..400).contains(&e.status))
                            .unwrap_or_default()
                            .to_owned(),
                        headers_size: -1,
                        comment: None,
                    },
                    cache: serde_json::json!({}),
                    timings: serde_json::json!({"send": 0, "wait": ms, "receive": 0}),
                    server_ip_address: None,
                    connection: None,
                    comment: None,
                    callspec: EntryInfo { kind: e.kind },
                }
            })
            .collect();
        let mut info = self.info.clone();
        info.script = info
            .script
            .map(|s| serde_json::from_str(&redact.text(&s.to_string())).unwrap_or(Value::Null));
        let har = Har {
            log: Log {
                version: "1.2".to_owned(),
                creator: Creator {
                    name: "callspec".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    comment: None,
                },
                browser: None,
                pages: vec![Page {
                    started_date_time: timestamp(self.started),
                    id: PAGE_ID.to_owned(),
                    title: redact.text(&format!(
                        "{}:{} {}",
                        self.info.feature, self.info.line, self.info.scenario
                    )),
                    page_timings: serde_json::json!({"onContentLoad": -1, "onLoad": -1}),
                    comment: None,
                }],
                entries,
                comment: None,
                callspec: info,
            },
        };
        serde_json::to_string_pretty(&har).expect("a HAR document serializes")
    }

    /// A file name for the recording, unique per scenario: `<feature>-L<line>-<scenario>.har`.
    pub fn file_name(&self) -> String {
        let stem = Path::new(&self.info.feature)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_owned());
        let slug: String = self
            .info
            .scenario
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let slug = slug
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let slug: String = slug.chars().take(60).collect();
        format!("{stem}-L{}-{slug}.har", self.info.line)
    }

    /// Writes the recording into `dir` (see [`Recording::file_name`]); returns the file.
    pub fn write(&self, dir: &Path, secrets: &[&str]) -> Result<PathBuf, RecordError> {
        let file = dir.join(self.file_name());
        std::fs::write(&file, self.to_har(secrets)).map_err(|e| RecordError::Unwritable {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Ok(file)
    }

    /// Reads a recording; errors name the file, line and column, and suggest the field meant.
    pub fn read(file: &Path) -> Result<Recording, RecordError> {
        let unreadable = |message: String| RecordError::Unreadable {
            file: file.to_owned(),
            message,
        };
        // Opening a FIFO would wait for a writer forever: look before opening.
        let meta = std::fs::metadata(file).map_err(|e| unreadable(e.to_string()))?;
        if !meta.is_file() {
            return Err(unreadable(crate::paths::not_a_file(&meta)));
        }
        let text = std::fs::read_to_string(file).map_err(|e| unreadable(e.to_string()))?;
        Recording::parse(&text, file)
    }

    /// Reads a recording from `text` (`file` names it in errors).
    pub fn parse(text: &str, file: &Path) -> Result<Recording, RecordError> {
        // Editors on Windows save with a byte-order mark; JSON has none.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let content = |message: String| RecordError::Content {
            file: file.to_owned(),
            message,
        };
        let har: Har = serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            if message.contains("missing field `_callspec`") {
                // A HAR from a browser or a proxy: valid, but not what drift replays.
                return content(format!(
                    "not a callspec recording: {message} (callspec recordings carry \
                     `log._callspec` and `_callspec` on each entry; make one with \
                     `callspec run --record DIR`)"
                ));
            }
            RecordError::Invalid {
                file: file.to_owned(),
                line: e.line(),
                column: e.column(),
                message: with_suggestion(&message),
            }
        })?;
        if let Some(seconds) = har.log.callspec.duration_seconds {
            let max = crate::standin::MAX_DURATION.as_secs_f64();
            if !(0.0..=max).contains(&seconds) {
                return Err(content(format!(
                    "log._callspec.durationSeconds is {seconds}: it must be between 0 and {max} \
                     seconds (365 days)"
                )));
            }
        }
        if har.log.version != "1.2" {
            return Err(content(format!(
                "log.version is {:?}: callspec reads HAR 1.2",
                har.log.version
            )));
        }
        let time = |text: &str, path: String| {
            humantime::parse_rfc3339_weak(text).map_err(|e| {
                content(format!(
                    "{path}: {text:?} is not an ISO 8601 time (e.g. 2026-11-27T15:00:00.000Z): {e}"
                ))
            })
        };
        let mut entries = Vec::new();
        for (i, entry) in har.log.entries.into_iter().enumerate() {
            let elapsed = Duration::try_from_secs_f64(entry.time.max(0.0) / 1000.0)
                .ok()
                .filter(|d| *d <= crate::standin::MAX_DURATION)
                .ok_or_else(|| {
                    content(format!(
                        "log.entries[{i}].time is {} ms: too long for an exchange (at most 365 \
                         days)",
                        entry.time
                    ))
                })?;
            let at = time(
                &entry.started_date_time,
                format!("log.entries[{i}].startedDateTime"),
            )?;
            let pairs = |list: Vec<NameValue>| -> Vec<(String, String)> {
                list.into_iter().map(|h| (h.name, h.value)).collect()
            };
            entries.push(RecordedExchange {
                kind: entry.callspec.kind,
                at,
                method: entry.request.method,
                url: entry.request.url,
                request_headers: pairs(entry.request.headers),
                request_body: entry.request.post_data.map(|p| p.text),
                status: entry.response.status,
                response_headers: pairs(entry.response.headers),
                response_body: entry.response.content.text,
                elapsed,
            });
        }
        let started = match har.log.pages.first() {
            Some(page) => time(
                &page.started_date_time,
                "log.pages[0].startedDateTime".into(),
            )?,
            None => entries
                .first()
                .map(|e| e.at)
                .ok_or_else(|| content("the recording has neither pages nor entries".into()))?,
        };
        Ok(Recording {
            info: har.log.callspec,
            started,
            entries,
        })
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" gains "did you mean `a`?".
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_owned();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message.to_owned();
    };
    let best = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, candidate)) => {
            let at = message.find(" at line").unwrap_or(message.len());
            format!("{}; did you mean `{candidate}`?", &message[..at])
        }
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(kind: EntryKind, at: u64) -> RecordedExchange {
        RecordedExchange {
            kind,
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + at),
            method: "POST".into(),
            url: "https://graph.microsoft.com/v1.0/communications/calls?x=1".into(),
            request_headers: vec![
                (
                    "Authorization".into(),
                    "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig".into(),
                ),
                ("Content-Type".into(), "application/json".into()),
            ],
            request_body: Some(r#"{"callbackUri":"https://bot/cb","s":"hunter2"}"#.into()),
            status: 201,
            response_headers: vec![("Location".into(), "https://x/calls/1".into())],
            response_body: Some(r#"{"id":"1","token":"eyJabc.def.ghi"}"#.into()),
            elapsed: Duration::from_millis(120),
        }
    }

    fn recording() -> Recording {
        Recording {
            info: RecordingInfo {
                feature: "features/create_call/p2p_voip.feature".into(),
                line: 7,
                scenario: "Bot calls a user (VoIP)".into(),
                target: "live".into(),
                script: None,
                callback: Some("https://bot/cb".into()),
                roles: Some(vec!["Calls.Initiate.All".into()]),
                duration_seconds: Some(2.5),
            },
            started: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            entries: vec![
                exchange(EntryKind::Request, 0),
                exchange(EntryKind::Notification, 1),
            ],
        }
    }

    #[test]
    fn a_recording_round_trips_without_its_secrets() {
        let original = recording();
        let har = original.to_har(&["hunter2"]);
        assert!(!har.contains("eyJ"), "{har}");
        assert!(!har.contains("hunter2"), "{har}");
        assert!(har.contains("\"version\": \"1.2\""));
        let read = Recording::parse(&har, Path::new("x.har")).unwrap();
        assert_eq!(read.info, original.info);
        assert_eq!(read.started, original.started);
        assert_eq!(read.entries.len(), 2);
        assert_eq!(read.entries[1].kind, EntryKind::Notification);
        assert_eq!(read.entries[0].status, 201);
        assert_eq!(read.entries[0].elapsed, Duration::from_millis(120));
        assert_eq!(
            read.entries[0].request_header("authorization"),
            Some("Bearer <redacted>")
        );
        assert_eq!(read.entries[0].response_json().unwrap()["id"], "1");
        assert_eq!(
            original.file_name(),
            "p2p_voip-L7-bot-calls-a-user-voip.har"
        );
    }

    #[test]
    fn broken_recordings_are_named_with_line_column_and_a_suggestion() {
        let har = recording()
            .to_har(&[])
            .replace("\"status\": 201", "\"statuss\": 201");
        let e = Recording::parse(&har, Path::new("rec.har"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("rec.har:"), "{e}");
        assert!(e.contains("unknown field `statuss`"), "{e}");
        assert!(e.contains("did you mean `status`?"), "{e}");
        let e = Recording::parse("{\"log\": [", Path::new("cut.har"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cut.har:1:"), "{e}");
        let har = recording()
            .to_har(&[])
            .replacen("2027-01-15T08:00:00.000Z", "yesterday", 1);
        let e = Recording::parse(&har, Path::new("t.har"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("log.pages[0].startedDateTime"), "{e}");
    }
}
