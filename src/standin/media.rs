//! The IVR media operations: playPrompt, recordResponse, cancelMediaProcessing, sendDtmfTones,
//! and the recordings a bot downloads. Prompts and recordings queue, as cancelMediaProcessing's
//! page says ("by default queued to process in order"); the other side's voice decides how a
//! recording ends.

use std::time::{Duration, SystemTime};

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::calls::{is_app_hosted_media, CallRecord};
use super::context::{located, new_operation, require_established};
use super::context::{non_empty, Context};
use super::lifecycle::{result_json, CallEvent};
use super::notifications;
use super::reply::Reply;
use super::script::{codes, ResultInfo, OPERATION_DELAY};
use super::timeline::Timeline;
use super::GraphError;

pub use super::state::{MediaEvent, RecordPlan, Recording, Running, Voice};

/// The longest recording (and each timeout) call-record.md allows, and its defaults.
const MAX_RECORD_SECONDS: u64 = 120;
const DEFAULT_RECORD_SECONDS: u64 = 5;

/// Result codes of media operations. 8508 and 8515 are Graph's (call-cancelmediaprocessing.md,
/// call-record.md); the others follow their form and are the stand-in's own.
mod result {
    use super::ResultInfo;
    pub const CANCELLED: ResultInfo = ResultInfo {
        code: 400,
        subcode: 8508,
        message: "Action failed, the operation was cancelled.",
    };
    pub const MAX_DURATION: ResultInfo = ResultInfo {
        code: 200,
        subcode: 8515,
        message: "Action completed, max record duration reached.",
    };
    pub const INITIAL_SILENCE: ResultInfo = ResultInfo {
        code: 200,
        subcode: 8510,
        message: "Action completed, initial silence timeout reached.",
    };
    pub const MAX_SILENCE: ResultInfo = ResultInfo {
        code: 200,
        subcode: 8511,
        message: "Action completed, max silence timeout reached.",
    };
    pub const STOP_TONE: ResultInfo = ResultInfo {
        code: 200,
        subcode: 8514,
        message: "Action completed, stop tone detected.",
    };
}

/// Wall time now as Graph writes `createdDateTime`.
fn created_now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// A prompt as Graph echoes it: typed, with a typed `mediaInfo` (comms-samples #58: Graph adds
/// the types a bot left out).
fn typed_prompt(prompt: &Value) -> Value {
    let mut typed = Map::new();
    typed.insert("@odata.type".into(), json!("#microsoft.graph.mediaPrompt"));
    if let Some(fields) = prompt.as_object() {
        for (k, v) in fields {
            if k == "mediaInfo" {
                let mut info = Map::new();
                info.insert("@odata.type".into(), json!("#microsoft.graph.mediaInfo"));
                if let Some(m) = v.as_object() {
                    info.extend(m.clone());
                }
                typed.insert(k.clone(), Value::Object(info));
            } else if k != "@odata.type" {
                typed.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(typed)
}

fn check_prompts(prompts: &[Value], action: &str) -> Result<Vec<Value>, GraphError> {
    prompts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let uri = p["mediaInfo"]["uri"].as_str().unwrap_or_default();
            if uri.is_empty() {
                return Err(GraphError::bad_request(format!(
                    "{action}: prompts[{i}].mediaInfo.uri is required."
                )));
            }
            Ok(typed_prompt(p))
        })
        .collect()
}

/// When a new media operation starts: when the queue is free, or now.
fn queue_start(cx: &Context<'_>) -> Duration {
    cx.call.extras.media_free_at.max(cx.timeline.now())
}

fn finish_event(call_id: &str, op_id: &str, plan: u32) -> CallEvent {
    CallEvent::Media {
        call_id: call_id.to_owned(),
        event: MediaEvent::Finish {
            op_id: op_id.to_owned(),
            plan,
        },
    }
}

/// playPrompt (call-playprompt.md): 200 with a running playPromptOperation and its `Location`;
/// the prompt plays when the queue reaches it, then the completion follows.
pub fn play_prompt(body: &Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    let prompts = non_empty(body, "prompts", "playPrompt needs at least one prompt.")?;
    let prompts = check_prompts(prompts, "playPrompt")?;
    let mut op = new_operation("playPromptOperation", body, "running")?;
    op["prompts"] = json!(prompts);
    op["createdDateTime"] = json!(created_now());
    let reply = located(&cx, 200, &op);
    let uris = prompts
        .iter()
        .map(|p| p["mediaInfo"]["uri"].as_str().unwrap_or_default());
    let ends = queue_start(&cx).saturating_add(cx.script.prompts_length(uris));
    cx.call.extras.media_free_at = ends;
    let op_id = op["id"].as_str().unwrap_or_default().to_owned();
    cx.call.extras.media.push(Running { op, record: None });
    cx.timeline.schedule(
        ends.saturating_sub(cx.timeline.now()),
        finish_event(&cx.call.id, &op_id, 0),
    );
    Ok(reply)
}

fn record_seconds(body: &Map<String, Value>, key: &str) -> Result<Duration, GraphError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Duration::from_secs(DEFAULT_RECORD_SECONDS)),
        Some(v) => v
            .as_u64()
            .filter(|s| (1..=MAX_RECORD_SECONDS).contains(s))
            .map(Duration::from_secs)
            .ok_or_else(|| {
                GraphError::bad_request(format!(
                    "{key} must be a whole number of seconds from 1 to {MAX_RECORD_SECONDS}, \
                     not {v}."
                ))
            }),
    }
}

fn flag(body: &Map<String, Value>, key: &str, default: bool) -> Result<bool, GraphError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(GraphError::bad_request(format!(
            "{key} must be true or false, not {other}."
        ))),
    }
}

/// A stop tone or DTMF tone as a tone name: keys (`#`, `1`) or Graph's names (`pound`, `tone1`).
fn tone_of(value: &Value) -> Option<String> {
    let s = value.as_str()?;
    const NAMES: [&str; 17] = [
        "tone0", "tone1", "tone2", "tone3", "tone4", "tone5", "tone6", "tone7", "tone8", "tone9",
        "star", "pound", "a", "b", "c", "d", "flash",
    ];
    if NAMES.contains(&s) {
        return Some(s.to_owned());
    }
    super::tone_name(s)
}

/// recordResponse (call-record.md): service-hosted media only; at most one prompt; each timeout
/// 1 to 120 s (default 5). 200 with a running recordOperation and its `Location`; the
/// completion carries `recordingLocation` and `recordingAccessToken`.
pub fn record_response(body: &Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    require_established(cx.call, "record a response in")?;
    if is_app_hosted_media(&cx.call.resource) {
        return Err(GraphError::bad_request(
            "recordResponse is only supported for calls that use serviceHostedMediaConfig.",
        ));
    }
    let prompts = match body.get("prompts") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) if list.len() <= 1 => check_prompts(list, "recordResponse")?,
        Some(Value::Array(list)) => {
            return Err(GraphError::bad_request(format!(
                "The maximum supported mediaPrompt collection size is 1; prompts has {}.",
                list.len()
            )))
        }
        Some(other) => {
            return Err(GraphError::bad_request(format!(
                "prompts must be a collection of mediaPrompt, not {other}."
            )))
        }
    };
    let initial_silence = record_seconds(body, "initialSilenceTimeoutInSeconds")?;
    let max_silence = record_seconds(body, "maxSilenceTimeoutInSeconds")?;
    let max_duration = record_seconds(body, "maxRecordDurationInSeconds")?;
    let play_beep = flag(body, "playBeep", true)?;
    let barge_in = flag(body, "bargeInAllowed", false)?;
    let stop_tones = match body.get("stopTones") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|t| {
                tone_of(t).ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "stopTones holds {t}: each is a key (0-9, *, #, A-D) or a tone name."
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(GraphError::bad_request(format!(
                "stopTones must be a collection of strings, not {other}."
            )))
        }
    };
    let mut op = new_operation("recordOperation", body, "running")?;
    op["recordingLocation"] = Value::Null;
    let reply = located(&cx, 200, &op);
    let op_id = op["id"].as_str().unwrap_or_default().to_owned();
    // A barging recording does not wait for the queue (call-record.md, bargeInAllowed).
    let mut starts_at = if barge_in {
        cx.timeline.now()
    } else {
        queue_start(&cx)
    };
    if !prompts.is_empty() {
        starts_at += OPERATION_DELAY;
    }
    if play_beep {
        starts_at += Duration::from_millis(500);
    }
    let plan = RecordPlan {
        starts_at,
        initial_silence,
        max_silence,
        max_duration,
        stop_tones,
        location: format!(
            "{}/recordings/{}/{}",
            cx.public_base,
            cx.call.id,
            Uuid::new_v4()
        ),
        token: format!("callspec-recording-{}", Uuid::new_v4().simple()),
        generation: 0,
    };
    cx.call.extras.media.push(Running {
        op,
        record: Some(plan),
    });
    schedule_recording(cx.call, &op_id, cx.timeline);
    Ok(reply)
}

/// How a recording ends, given the voice: (when, reason, result, what was heard).
struct Outcome {
    at: Duration,
    reason: &'static str,
    result: ResultInfo,
    speech: Option<(Duration, Duration)>,
}

fn outcome(plan: &RecordPlan, voice: Voice) -> Outcome {
    let start = plan.starts_at;
    let silent = Outcome {
        at: start + plan.initial_silence,
        reason: "initialSilenceTimeout",
        result: result::INITIAL_SILENCE,
        speech: None,
    };
    let Voice::Speaks { from, length } = voice else {
        return silent;
    };
    let ends = from + length;
    // Speech that is over before the recording starts, or starts after the initial silence
    // timeout, is never heard.
    if ends <= start || from >= start + plan.initial_silence || length.is_zero() {
        return silent;
    }
    let heard_from = from.max(start);
    let by_silence = ends + plan.max_silence;
    let by_length = start + plan.max_duration;
    let (at, reason, result) = if by_length <= by_silence {
        (by_length, "maxRecordDurationReached", result::MAX_DURATION)
    } else {
        (by_silence, "maxSilenceTimeout", result::MAX_SILENCE)
    };
    Outcome {
        at,
        reason,
        result,
        speech: Some((heard_from - start, ends.min(at) - start)),
    }
}

/// (Re)plans the end of the recording `op_id` from the call's voice.
fn schedule_recording(call: &mut CallRecord, op_id: &str, timeline: &mut Timeline) {
    let Some(plan) = call
        .extras
        .media
        .iter()
        .find(|r| r.op["id"].as_str() == Some(op_id))
        .and_then(|r| r.record.clone())
    else {
        return;
    };
    let end = outcome(&plan, call.extras.voice);
    call.extras.media_free_at = call.extras.media_free_at.max(end.at);
    timeline.schedule(
        end.at.saturating_sub(timeline.now()),
        finish_event(&call.id, op_id, plan.generation),
    );
}

/// The other side's voice changes (a step, the admin API): running recordings are re-planned.
pub fn set_voice(call: &mut CallRecord, voice: Voice, timeline: &mut Timeline) {
    call.extras.voice = voice;
    let mut recordings = Vec::new();
    for running in &mut call.extras.media {
        if let Some(plan) = running.record.as_mut() {
            plan.generation += 1;
            recordings.extend(running.op["id"].as_str().map(str::to_owned));
        }
    }
    for op_id in recordings {
        schedule_recording(call, &op_id, timeline);
    }
}

/// Completes a running media operation now: its final resource, kept and notified.
fn complete(call: &mut CallRecord, index: usize, end: Outcome, at: Duration) -> Value {
    let running = call.extras.media.remove(index);
    let mut op = running.op;
    match running.record {
        None => {
            // Graph's completion of a prompt, in the capture's order and without the
            // response's createdDateTime (capture P2PTest1Event5PlayPromptFinish.json).
            let cancelled = end.reason == "operationCanceled";
            op = json!({
                "@odata.type": op["@odata.type"],
                "prompts": op["prompts"],
                "completionReason": if cancelled {
                    "mediaOperationCanceled"
                } else {
                    "completedSuccessfully"
                },
                "status": if cancelled { "failed" } else { "completed" },
                "clientContext": op["clientContext"],
                "resultInfo": result_json(end.result),
                "id": op["id"],
            });
        }
        Some(plan) => {
            let cancelled = end.reason == "operationCanceled";
            let heard = end.speech.is_some() && !cancelled;
            op["status"] = json!(if cancelled { "failed" } else { "completed" });
            op["resultInfo"] = result_json(end.result);
            if heard {
                let id = plan
                    .location
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                call.extras.recordings.push(Recording {
                    id,
                    token: plan.token.clone(),
                    length: at.saturating_sub(plan.starts_at),
                    speech: end.speech,
                });
                op["recordingLocation"] = json!(plan.location);
                op["recordingAccessToken"] = json!(plan.token);
            } else {
                // As the cancelled recording on call-cancelmediaprocessing.md: no recording.
                op["recordingLocation"] = json!("");
                op["recordingAccessToken"] = json!("");
            }
            op["completionReason"] = json!(end.reason);
        }
    }
    call.extras.remember(&op);
    notifications::operation(call, &op)
}

/// Applies a media event at simulated time `at`; returns the notifications.
pub fn fire(call: &mut CallRecord, event: MediaEvent, at: Duration) -> Vec<Value> {
    match event {
        MediaEvent::Finish { op_id, plan } => {
            let Some(index) = call
                .extras
                .media
                .iter()
                .position(|r| r.op["id"].as_str() == Some(&op_id))
            else {
                return Vec::new();
            };
            let current = call.extras.media[index]
                .record
                .as_ref()
                .map_or(0, |r| r.generation);
            if plan != current {
                return Vec::new();
            }
            let end = match &call.extras.media[index].record {
                None => Outcome {
                    at,
                    reason: "completedSuccessfully",
                    result: codes::OPERATION_DONE,
                    speech: None,
                },
                Some(record) => outcome(record, call.extras.voice),
            };
            vec![complete(call, index, end, at)]
        }
        MediaEvent::SharesScreen { who } => super::participants::shares_screen(call, &who),
        MediaEvent::StopsSharingScreen { who } => super::participants::stops_sharing(call, &who),
        MediaEvent::SharingNotice { session, started } => {
            let change = if started {
                notifications::ChangeType::Created
            } else {
                notifications::ChangeType::Deleted
            };
            super::participants::sharing_notice(call, session, change)
        }
    }
}

/// A key the other side pressed: a recording listening for it stops (`stopToneDetected`).
pub fn tone_pressed(call: &mut CallRecord, tone: &str, at: Duration) -> Vec<Value> {
    let Some(index) = call.extras.media.iter().position(|r| {
        r.record
            .as_ref()
            .is_some_and(|p| p.starts_at <= at && p.stop_tones.iter().any(|t| t == tone))
    }) else {
        return Vec::new();
    };
    let plan = call.extras.media[index]
        .record
        .clone()
        .expect("a recording");
    let heard = match outcome(&plan, call.extras.voice).speech {
        Some((from, to)) => {
            let stop = at - plan.starts_at;
            (from < stop).then(|| (from, to.min(stop)))
        }
        None => None,
    };
    let end = Outcome {
        at,
        reason: "stopToneDetected",
        result: result::STOP_TONE,
        // A recording stopped by a key holds what was said before it (nothing: no recording).
        speech: heard.or(Some((Duration::ZERO, Duration::ZERO))),
    };
    call.extras.media_free_at = at;
    vec![complete(call, index, end, at)]
}

/// cancelMediaProcessing (call-cancelmediaprocessing.md): every running and queued prompt and
/// recording fails with `operationCanceled` (400/8508); 200 with a completed
/// cancelMediaProcessingOperation and its `Location`. subscribeToTone is not affected.
pub fn cancel_media_processing(
    body: &Map<String, Value>,
    cx: Context<'_>,
) -> Result<Reply, GraphError> {
    let op = new_operation("cancelMediaProcessingOperation", body, "completed")?;
    let reply = located(&cx, 200, &op);
    let now = cx.timeline.now();
    while !cx.call.extras.media.is_empty() {
        let end = Outcome {
            at: now,
            reason: "operationCanceled",
            result: result::CANCELLED,
            speech: None,
        };
        let done = complete(cx.call, 0, end, now);
        let op = done["value"][0]["resourceData"].clone();
        cx.timeline.schedule(
            Duration::ZERO,
            CallEvent::OperationDone {
                call_id: cx.call.id.clone(),
                operation: op,
            },
        );
    }
    cx.call.extras.media_free_at = now;
    Ok(reply)
}

/// sendDtmfTones (call-senddtmftones.md): 200 with a running sendDtmfTonesOperation; it
/// completes when the last tone is sent (`delayBetweenTonesMs` apart).
pub fn send_dtmf_tones(body: &Map<String, Value>, cx: Context<'_>) -> Result<Reply, GraphError> {
    require_established(cx.call, "send tones in")?;
    let tones = non_empty(body, "tones", "sendDtmfTones needs at least one tone.")?;
    for (i, tone) in tones.iter().enumerate() {
        if tone_of(tone).is_none() {
            return Err(GraphError::bad_request(format!(
                "tones[{i}] is {tone}: each is tone0-tone9, star, pound, a-d or flash."
            )));
        }
    }
    let delay = match body.get("delayBetweenTonesMs") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .filter(|ms| *ms <= i32::MAX as u64)
            .ok_or_else(|| {
                GraphError::bad_request(format!(
                    "delayBetweenTonesMs must be a whole number of milliseconds, not {v}."
                ))
            })?,
    };
    let op = new_operation("sendDtmfTonesOperation", body, "running")?;
    let reply = located(&cx, 200, &op);
    let mut done = op.clone();
    if let Some(map) = done.as_object_mut() {
        map.remove("resultInfo");
    }
    done["status"] = json!("completed");
    done["completionReason"] = json!("completedSuccessfully");
    let takes = Duration::from_millis(delay.saturating_mul(tones.len() as u64 - 1))
        + Duration::from_millis(100 * tones.len() as u64);
    cx.timeline.schedule(
        takes,
        CallEvent::OperationDone {
            call_id: cx.call.id.clone(),
            operation: done,
        },
    );
    Ok(reply)
}

/// The recording `rec_id` of a call as a WAV file (8 kHz, 16-bit mono: a tone while the other
/// side spoke, silence otherwise), if `token` is its access token.
pub fn recording_file(call: &CallRecord, rec_id: &str, token: &str) -> Option<Vec<u8>> {
    let recording = call.extras.recordings.iter().find(|r| r.id == rec_id)?;
    if recording.token != token {
        return None;
    }
    Some(wav(recording))
}

/// Whether the call made a recording `rec_id` (to tell 401 from 404).
pub fn has_recording(call: &CallRecord, rec_id: &str) -> bool {
    call.extras.recordings.iter().any(|r| r.id == rec_id)
}

fn wav(recording: &Recording) -> Vec<u8> {
    const RATE: u32 = 8000;
    let samples = (recording.length.as_millis() as u64 * RATE as u64 / 1000).max(1) as u32;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let (from, to) = recording
        .speech
        .map(|(a, b)| {
            (
                a.as_millis() as u64 * RATE as u64 / 1000,
                b.as_millis() as u64 * RATE as u64 / 1000,
            )
        })
        .unwrap_or((0, 0));
    for i in 0..samples as u64 {
        let sample = if (from..to).contains(&i) {
            let t = i as f64 / RATE as f64;
            (3000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
        } else {
            0
        };
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(starts_at: u64) -> RecordPlan {
        RecordPlan {
            starts_at: Duration::from_secs(starts_at),
            initial_silence: Duration::from_secs(5),
            max_silence: Duration::from_secs(2),
            max_duration: Duration::from_secs(10),
            stop_tones: vec![],
            location: String::new(),
            token: String::new(),
            generation: 0,
        }
    }

    fn speaks(from: u64, length: u64) -> Voice {
        Voice::Speaks {
            from: Duration::from_secs(from),
            length: Duration::from_secs(length),
        }
    }

    #[test]
    fn a_recording_ends_by_silence_length_or_initial_silence() {
        let short = outcome(&plan(1), speaks(1, 3));
        assert_eq!(short.reason, "maxSilenceTimeout");
        assert_eq!(short.at, Duration::from_secs(6));
        let long = outcome(&plan(1), speaks(1, 30));
        assert_eq!(long.reason, "maxRecordDurationReached");
        assert_eq!(long.at, Duration::from_secs(11));
        assert_eq!(long.result.subcode, 8515);
        let silent = outcome(&plan(1), Voice::Silent);
        assert_eq!(silent.reason, "initialSilenceTimeout");
        assert_eq!(silent.at, Duration::from_secs(6));
        let late = outcome(&plan(1), speaks(7, 3));
        assert_eq!(late.reason, "initialSilenceTimeout");
    }

    #[test]
    fn the_recording_is_a_wav_file_of_its_length() {
        let file = wav(&Recording {
            id: "r".into(),
            token: "t".into(),
            length: Duration::from_secs(2),
            speech: Some((Duration::ZERO, Duration::from_secs(1))),
        });
        assert_eq!(&file[..4], b"RIFF");
        assert_eq!(&file[8..12], b"WAVE");
        assert_eq!(file.len(), 44 + 2 * 8000 * 2);
        assert!(file[44..44 + 16000].iter().any(|b| *b != 0));
        assert!(file[44 + 16000..].iter().all(|b| *b == 0));
    }
}
