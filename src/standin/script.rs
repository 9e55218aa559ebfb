//! What the other side of a call does, scripted per scenario: when the callee answers (or
//! not), who joins a meeting, what the lobby does. And the result codes calls end with.

use std::time::Duration;

/// `resultInfo` of a call or operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultInfo {
    pub code: u16,
    pub subcode: u32,
    pub message: &'static str,
}

impl ResultInfo {
    const fn new(code: u16, subcode: u32, message: &'static str) -> Self {
        ResultInfo {
            code,
            subcode,
            message,
        }
    }
}

/// Result codes the stand-in ends calls and operations with. Those marked "Graph" are from
/// `call-delete.md`'s end-reason table or from captured real notifications (see FIDELITY.md);
/// the others are the stand-in's own (Graph documents none for them). Call ends carry Graph's
/// message form, `<text> DiagCode: <n>#<subcode>.@` (`n` is 0 for code 200, else the code, as
/// in the captures and the messages quoted in Graph issues).
pub mod codes {
    use super::ResultInfo;

    /// Graph (call-delete.md): the bot hung up.
    pub const BOT_HUNG_UP: ResultInfo =
        ResultInfo::new(200, 5001, "The conversation has ended. DiagCode: 0#5001.@");
    /// Graph (capture P2PTest1Event6HangUp.json): the other party of a peer-to-peer call hung
    /// up. The docs' 4097 never appeared in real traffic for this.
    pub const REMOTE_HUNG_UP: ResultInfo =
        ResultInfo::new(200, 5002, "The conversation has ended. DiagCode: 0#5002.@");
    /// Graph (capture FailedP2P/CallDeleted.json): a peer-to-peer call that never connected;
    /// the capture does not say why, a callee declining in Teams is the likely cause.
    pub const DECLINED: ResultInfo = REMOTE_HUNG_UP;
    /// Graph (capture GroupCalls/GroupCallEnd.json, message verbatim): only the bot remained.
    pub const ONLY_BOT_REMAINS: ResultInfo = ResultInfo::new(
        200,
        5010,
        "This conversation has ended as only one participant was remaining in the conversation.. DiagCode: 0#5010.@",
    );
    /// Graph (call-delete.md): nobody answered before the ringing timeout.
    pub const NO_ANSWER: ResultInfo = ResultInfo::new(
        408,
        10057,
        "Call timed out due to no signaling from callee endpoints. DiagCode: 408#10057.@",
    );
    /// Graph (call-delete.md): the callee cannot be found.
    pub const NOT_FOUND: ResultInfo = ResultInfo::new(
        480,
        10037,
        "No callee endpoints were found. DiagCode: 480#10037.@",
    );
    /// Graph (call-delete.md): the callee cannot be reached.
    pub const UNREACHABLE: ResultInfo = ResultInfo::new(
        480,
        10076,
        "Callee could not be reached. DiagCode: 480#10076.@",
    );
    /// Graph (call-delete.md): the meeting did not admit the bot from the lobby in time.
    pub const LOBBY_TIMEOUT: ResultInfo = ResultInfo::new(
        200,
        5855,
        "Participant waiting in lobby was removed from the conversation after lobby inactivity timeout. DiagCode: 0#5855.@",
    );
    /// Graph (call-transfer.md's "transfer completed" notification, message verbatim).
    pub const TRANSFERRED: ResultInfo = ResultInfo::new(0, 7015, "GracefulTransferCompleted");
    /// Graph (capture P2PTest1Event5PlayPromptFinish.json): an operation completed. Operation
    /// results carry no DiagCode.
    pub const OPERATION_DONE: ResultInfo =
        ResultInfo::new(200, 0, "Action completed successfully.");
    /// Stand-in's own: the callee is busy.
    pub const BUSY: ResultInfo = ResultInfo::new(486, 0, "The callee is busy. DiagCode: 486#0.@");
    /// Stand-in's own: the meeting denied the bot entry from the lobby.
    pub const LOBBY_DENIED: ResultInfo = ResultInfo::new(
        403,
        0,
        "The bot was denied entry to the meeting. DiagCode: 403#0.@",
    );
    /// Stand-in's own: the bot did not answer an incoming call within 15 seconds.
    pub const INCOMING_NOT_ANSWERED: ResultInfo = ResultInfo::new(
        408,
        0,
        "The bot did not answer the incoming call in time. DiagCode: 408#0.@",
    );
    /// Stand-in's own: the bot rejected an incoming call.
    pub const REJECTED: ResultInfo =
        ResultInfo::new(603, 0, "The bot rejected the call. DiagCode: 603#0.@");
    /// Stand-in's own: the bot redirected an incoming call.
    pub const REDIRECTED: ResultInfo =
        ResultInfo::new(302, 0, "The bot redirected the call. DiagCode: 302#0.@");
    /// Graph's code (call-transfer.md's "transfer failed" notification: 500/7000, the call stays
    /// established); the page shows no message, this one is the stand-in's.
    pub const TRANSFER_DECLINED: ResultInfo =
        ResultInfo::new(500, 7000, "The transfer target declined the transfer.");
    /// Stand-in's own: an invited participant declined.
    pub const INVITE_DECLINED: ResultInfo =
        ResultInfo::new(603, 0, "The invited participant declined.");
}

/// How long a call rings before Graph gives up, unless the request sets
/// `ringingTimeoutInSeconds` (stand-in's choice of default).
pub const DEFAULT_RINGING_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a bot may leave an incoming call unanswered (Graph: 15 s).
pub const INCOMING_ANSWER_WINDOW: Duration = Duration::from_secs(15);
/// How long a bot waits in the lobby before the meeting gives up on it (stand-in's choice).
pub const LOBBY_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// How long a declining, busy, missing or unreachable callee takes to say so.
pub const REFUSAL_DELAY: Duration = Duration::from_secs(1);
/// How long a prompt plays, and a transfer or invitation takes, in simulated time.
pub const OPERATION_DELAY: Duration = Duration::from_secs(2);

/// What a callee (or an invited participant, or a transfer target) does when called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Answers this long after the call was placed.
    After(Duration),
    Declines,
    IsBusy,
    /// Never answers: the call ends at the ringing timeout.
    DoesNotAnswer,
    CannotBeFound,
    CannotBeReached,
}

impl Answer {
    /// An answer after the ringing timeout is no answer: the party never connects.
    pub fn filter_before(self, ringing_timeout: Duration) -> Answer {
        match self {
            Answer::After(delay) if delay >= ringing_timeout => Answer::DoesNotAnswer,
            other => other,
        }
    }

    /// The result a call ends with when the callee does not take it, and after how long.
    pub fn refusal(self, ringing_timeout: Duration) -> Option<(Duration, ResultInfo)> {
        match self {
            Answer::After(_) => None,
            Answer::Declines => Some((REFUSAL_DELAY, codes::DECLINED)),
            Answer::IsBusy => Some((REFUSAL_DELAY, codes::BUSY)),
            Answer::DoesNotAnswer => Some((ringing_timeout, codes::NO_ANSWER)),
            Answer::CannotBeFound => Some((REFUSAL_DELAY, codes::NOT_FOUND)),
            Answer::CannotBeReached => Some((REFUSAL_DELAY, codes::UNREACHABLE)),
        }
    }
}

/// One party on the other side: how it answers and whether it hangs up later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Callee {
    pub answer: Answer,
    /// Hangs up this long after answering.
    pub hangs_up_after: Option<Duration>,
}

/// What the meeting's lobby does with a bot that joins as a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lobby {
    /// Nobody acts: the bot is dropped at the lobby timeout.
    Waits,
    AdmitsAfter(Duration),
    DeniesAfter(Duration),
}

/// Someone else joining or leaving a meeting, this long after the bot's create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingChange {
    pub at: Duration,
    pub who: String,
    pub joins: bool,
}

/// The other side of the scenario's calls. Set before the create it should apply to.
#[derive(Debug, Clone)]
pub struct RemoteScript {
    /// Everyone called (p2p callee, each group target, invitees) unless named below.
    pub callee: Callee,
    /// Parties named by display name or id.
    pub named: Vec<(String, Callee)>,
    pub lobby: Lobby,
    pub meeting: Vec<MeetingChange>,
    /// People already in a meeting when the bot joins: they are in its first roster.
    pub present: Vec<String>,
    /// Whether a transfer target accepts.
    pub transfer_accepted: bool,
    /// Whether the recording policy that invites the bot is strict (the call ends when the bot
    /// does not record).
    pub strict_recording: bool,
    /// How long the prompts at these URIs play (simulated); any other lasts
    /// [`OPERATION_DELAY`].
    pub prompt_lengths: Vec<(String, Duration)>,
}

impl RemoteScript {
    pub fn new(answer_delay: Duration) -> Self {
        RemoteScript {
            callee: Callee {
                answer: Answer::After(answer_delay),
                hangs_up_after: None,
            },
            named: Vec::new(),
            lobby: Lobby::Waits,
            meeting: Vec::new(),
            present: Vec::new(),
            transfer_accepted: true,
            strict_recording: false,
            prompt_lengths: Vec::new(),
        }
    }

    /// How long a playPrompt with these prompt URIs plays: [`OPERATION_DELAY`] when the script
    /// gives none of them a length; else the sum of each prompt's length (a prompt without one
    /// lasting [`OPERATION_DELAY`]).
    pub fn prompts_length<'u>(&self, uris: impl IntoIterator<Item = &'u str> + Clone) -> Duration {
        let length = |uri: &str| {
            self.prompt_lengths
                .iter()
                .rev()
                .find(|(u, _)| u == uri)
                .map(|(_, d)| *d)
        };
        if !uris.clone().into_iter().any(|u| length(u).is_some()) {
            return OPERATION_DELAY;
        }
        uris.into_iter()
            .map(|u| length(u).unwrap_or(OPERATION_DELAY))
            .fold(Duration::ZERO, Duration::saturating_add)
    }

    /// The script of the party with this display name or id (case-insensitive).
    pub fn callee_named(&self, names: &[&str]) -> Callee {
        self.named
            .iter()
            .rev()
            .find(|(name, _)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|(_, c)| *c)
            .unwrap_or(self.callee)
    }

    /// Sets what `who` (or everyone, for `None`) does when called.
    pub fn set_answer(&mut self, who: Option<&str>, answer: Answer) {
        let callee = self.entry(who);
        callee.answer = answer;
    }

    pub fn set_hang_up(&mut self, who: Option<&str>, after: Duration) {
        let callee = self.entry(who);
        callee.hangs_up_after = Some(after);
    }

    fn entry(&mut self, who: Option<&str>) -> &mut Callee {
        let Some(who) = who else {
            return &mut self.callee;
        };
        let position = self
            .named
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(who));
        let index = match position {
            Some(i) => i,
            None => {
                self.named.push((who.to_owned(), self.callee));
                self.named.len() - 1
            }
        };
        &mut self.named[index].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_parties_override_the_default_and_keep_its_other_settings() {
        let mut script = RemoteScript::new(Duration::from_secs(1));
        script.set_hang_up(None, Duration::from_secs(9));
        script.set_answer(Some("Alice"), Answer::Declines);
        let alice = script.callee_named(&["x-id", "alice"]);
        assert_eq!(alice.answer, Answer::Declines);
        assert_eq!(alice.hangs_up_after, Some(Duration::from_secs(9)));
        assert_eq!(
            script.callee_named(&["bob"]).answer,
            Answer::After(Duration::from_secs(1))
        );
    }

    #[test]
    fn refusals_carry_their_codes_and_timing() {
        let ring = Duration::from_secs(60);
        assert_eq!(
            Answer::DoesNotAnswer.refusal(ring),
            Some((ring, codes::NO_ANSWER))
        );
        assert_eq!(
            Answer::CannotBeFound.refusal(ring).unwrap().1.subcode,
            10037
        );
        assert_eq!(
            Answer::CannotBeReached.refusal(ring).unwrap().1.subcode,
            10076
        );
        assert!(Answer::After(ring).refusal(ring).is_none());
    }
}
