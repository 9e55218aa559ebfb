"""The IVR itself: what the bot does with each notification, one state per call.

All of it runs on the bot's single asyncio loop, so a call's state is only read and changed
there: a check-and-set before the first `await` cannot race with another notification.
Graph repeats and reorders notifications, so each action happens once per call: answer once,
welcome once (on the first `established`), each tone once (by its sequenceId), hang up once.
"""

import asyncio
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import quote

from crm import CRM_TIMEOUT, Crm
from graph import GraphCalls, describe

WELCOME = "https://example.com/welcome.wav"
# A caller the CRM knows hears their name: welcome-back/{name}.wav.
WELCOME_BACK = "https://example.com/welcome-back/{}.wav"
# IVR_BROKEN=slow-tail answers one call in ten this late.
SLOW_TAIL_SECONDS = 4
GOODBYE = "https://example.com/goodbye.wav"
# What an outbound reminder call (POST /api/reminder) plays before it hangs up.
REMINDER = "https://example.com/reminder.wav"
# "Please leave a message after the beep."
VOICEMAIL = "https://example.com/voicemail.wav"
VOICEMAIL_SECONDS = 30
SLOW_ANSWER_SECONDS = 20
# Ended calls are remembered (so that a late duplicate does nothing) up to this many.
ENDED_KEPT = 10_000

log = logging.getLogger("ivr")


@dataclass
class Settings:
    callback_uri: str
    transfer_to_name: str
    transfer_to_id: Optional[str]
    broken: Optional[str]  # one of BROKEN_VARIANTS, or None
    crm_url: Optional[str] = None


BROKEN_VARIANTS = {
    "no-token-check": "accepts notifications with any token, or none",
    "slow-answer": f"answers {SLOW_ANSWER_SECONDS} s after the incoming call",
    "double-prompt": "plays the welcome prompt on every `established` notification",
    "wrong-transfer": 'transfers to "Bob"',
    "no-recording-status": "answers a recording invite but never reports that it records",
    "no-signature-check": "finds the notification token's key by `kid` but never checks the signature",
    "no-issuer-check": "accepts notification tokens from any issuer",
    "refuses-with-403": "refuses a bad notification token with 403 instead of 401",
    "deleted-500": "acknowledges the `deleted` notification with 500",
    "records-without-limit": "records a voicemail without maxRecordDurationInSeconds (Graph's default: 5 s)",
    "no-voicemail-beep": "records a voicemail with playBeep false",
    "download-without-token": "downloads the voicemail without its recordingAccessToken",
    "removes-the-caller": "removes the caller instead of the participant who joined uninvited",
    "no-crm-lookup": "never looks the caller up in the CRM (greets everyone with the generic welcome)",
    "slow-tail": f"answers one call in ten {SLOW_TAIL_SECONDS} s late (the rest at once)",
    "ignores-retry-after": "retries a throttled (429) request at once, ignoring Retry-After",
    "needs-establishing": "stalls when `established` arrives before `establishing`",
    "early-hang-up": "hangs up as soon as the goodbye or reminder prompt starts, not when it has finished",
    "acts-after-hang-up": "acts on a key press that arrives after the call ended",
    "no-tone-subscription": "never subscribes to tones",
}


@dataclass
class CallState:
    outbound: bool = False
    # The trigger's create has answered with this call's id (its state is the bot's own).
    placed: bool = False
    # An `established` that came before the create's answer: acted on once that answer is in.
    established_early: bool = False
    # A reminder call: plays REMINDER, then hangs up once that prompt has finished.
    reminder: bool = False
    reminder_context: Optional[str] = None
    reminder_operation: Optional[str] = None
    answered: bool = False
    welcomed: bool = False
    transferring: bool = False
    goodbye_context: Optional[str] = None
    goodbye_operation: Optional[str] = None
    hung_up: bool = False
    # Teams invited the bot to record this call (policy-based recording): it answers and reports
    # that it records; it plays nothing to the call.
    recorder: bool = False
    tones_seen: set = field(default_factory=set)
    # Key 3: the voicemail's recordResponse (its clientContext, then its id once known).
    voicemail_context: Optional[str] = None
    voicemail_operation: Optional[str] = None
    # The caller's user id or phone number (from the incoming call's source), and the
    # participants already removed: the line is one-to-one, anyone else who joins is removed.
    caller: Optional[str] = None
    removed: set = field(default_factory=set)
    # The CRM lookup of the caller, started when the call came in; its prompt once chosen.
    lookup: Optional[asyncio.Task] = None
    came_in: float = 0.0
    greeting: Optional[str] = None
    # Only IVR_BROKEN=needs-establishing looks at it: the bot is right to act on `established`
    # whatever came before (Graph's notifications may arrive out of order).
    establishing_seen: bool = False


def identity_key(identity) -> Optional[str]:
    """A person's id in an identitySet: the user's id, else the phone number."""
    if not isinstance(identity, dict):
        return None
    for kind in ("user", "phone"):
        who = identity.get(kind)
        if isinstance(who, dict) and who.get("id"):
            return who["id"]
    return None


class Ivr:
    def __init__(self, graph: GraphCalls, settings: Settings):
        self.graph = graph
        self.settings = settings
        self.calls: dict[str, CallState] = {}
        self.ended: "OrderedDict[str, None]" = OrderedDict()
        self.crm = Crm(settings.crm_url)
        self.incoming_count = 0

    # ---- notifications

    async def handle(self, notifications: dict) -> None:
        """Handles one commsNotifications body (already authenticated)."""
        for item in notifications.get("value") or []:
            try:
                await self.handle_item(item)
            except Exception as e:  # one bad item must not stop the others, nor the bot
                log.error("notification %s failed: %s", item.get("resourceUrl"), describe(e))

    async def handle_item(self, item: dict) -> None:
        resource = item.get("resourceUrl") or item.get("resource") or ""
        change = item.get("changeType")
        data = item.get("resourceData") or {}
        parts = resource.strip("/").split("/")
        # /communications/calls/{id}[/operations/{op}] or /app/calls/{id}[...]
        try:
            call_id = parts[parts.index("calls") + 1]
        except (ValueError, IndexError):
            log.info("notification for %r ignored: not a call", resource)
            return
        kind = data.get("@odata.type", "") if isinstance(data, dict) else ""
        late_tone = self.settings.broken == "acts-after-hang-up" and bool(
            isinstance(data, dict) and data.get("toneInfo"))
        if call_id in self.ended and not late_tone:
            log.info("call %s: %s %s after the call ended, ignored", call_id, change, kind or "item")
            return
        if "/operations/" in resource or kind.endswith("Operation"):
            await self.on_operation(call_id, data)
            return
        if resource.rstrip("/").endswith("/participants") and isinstance(data, list):
            await self.on_roster(call_id, data)
            return
        if kind != "#microsoft.graph.call":
            log.info("call %s: %s %s (nothing to do)", call_id, change, kind or "item")
            return
        state = data.get("state")
        log.info("call %s: %s state=%s%s", call_id, change, state,
                 f" tone={data['toneInfo'].get('tone')}" if data.get("toneInfo") else "")
        if change == "deleted" or state == "terminated":
            self.forget(call_id)
            return
        call = self.calls.setdefault(call_id, CallState())
        if data.get("direction") == "outgoing":
            call.outbound = True
        if change == "created" and state == "incoming":
            # A policy-recording invite names the observed (recorded) participant.
            call.recorder = bool(data.get("incomingContext"))
            call.caller = identity_key((data.get("source") or {}).get("identity"))
            await self.on_incoming(call_id, call, caller_number(data))
        elif data.get("toneInfo"):
            await self.on_tone(call_id, call, data["toneInfo"])
        elif state == "establishing":
            call.establishing_seen = True
        elif state == "established":
            if self.settings.broken == "needs-establishing" and not call.establishing_seen:
                # The bug: the first `established` is spent waiting for `establishing`, and only
                # the first one ever greets.
                log.info("call %s: established before establishing; ignored (IVR_BROKEN=needs-establishing)",
                         call_id)
                call.welcomed = True
                return
            if call.outbound and not call.placed:
                # The callee answered before the create's answer reached the bot: whether this
                # is a reminder is known only then (place_call acts on it).
                call.established_early = True
                return
            await self.on_established(call_id, call)

    async def on_incoming(self, call_id: str, call: CallState, number: Optional[str]) -> None:
        if call.answered:
            log.info("call %s: incoming again (duplicate), already answered", call_id)
            return
        call.answered = True
        self.incoming_count += 1
        if number and not call.recorder and self.settings.broken != "no-crm-lookup":
            # Alongside the answer, never before it: Graph gives the bot 15 s to answer.
            call.came_in = asyncio.get_running_loop().time()
            call.lookup = asyncio.ensure_future(self.crm.caller_name(number))
        if self.settings.broken == "slow-tail" and self.incoming_count % 10 == 0:
            await asyncio.sleep(SLOW_TAIL_SECONDS)
        if self.settings.broken == "slow-answer":
            log.info("call %s: answering in %d s (IVR_BROKEN=slow-answer)", call_id, SLOW_ANSWER_SECONDS)
            await asyncio.sleep(SLOW_ANSWER_SECONDS)
        await self.request(call_id, "answer", self.graph.answer(call_id, self.settings.callback_uri))
        if call.recorder and self.settings.broken != "no-recording-status":
            # Under a strict policy Teams cancels the recorded user's call when the recorder
            # does not record: report at once.
            await self.request(call_id, "updateRecordingStatus recording",
                               self.graph.report_recording(call_id, str(uuid.uuid4())))

    async def on_established(self, call_id: str, call: CallState) -> None:
        if call.recorder:
            log.info("call %s: established; recording (no prompt for a recorder)", call_id)
            return
        # Only the first `established` acts, so the prompt always precedes subscribeToTone even
        # when a repeat arrives while the prompt request is under way.
        first = not call.welcomed
        call.welcomed = True
        if not first and self.settings.broken != "double-prompt":
            log.info("call %s: established again, already welcomed", call_id)
            return
        if call.reminder:
            await self.remind(call_id, call)
            return
        prompt = await self.greeting(call_id, call)
        await self.request(call_id, f"playPrompt {prompt}",
                           self.graph.play_prompt(call_id, prompt, str(uuid.uuid4())))
        if first and not call.outbound and self.settings.broken != "no-tone-subscription":
            await self.request(call_id, "subscribeToTone",
                               self.graph.subscribe_to_tone(call_id, str(uuid.uuid4())))

    async def on_tone(self, call_id: str, call: CallState, tone_info: dict) -> None:
        tone = tone_info.get("tone")
        sequence = tone_info.get("sequenceId")
        key = (sequence, tone)
        if sequence is not None and key in call.tones_seen:
            log.info("call %s: %s (sequence %s) again, ignored", call_id, tone, sequence)
            return
        call.tones_seen.add(key)
        if call.transferring or call.goodbye_context or call.voicemail_context:
            log.info("call %s: %s ignored, the call is already ending", call_id, tone)
            return
        if tone == "tone1":
            call.transferring = True
            name, user_id = self.settings.transfer_to_name, self.settings.transfer_to_id
            if self.settings.broken == "wrong-transfer":
                name, user_id = "Bob", None
            await self.request(call_id, f"transfer to {name}", self.graph.transfer(call_id, name, user_id))
        elif tone == "tone2":
            call.goodbye_context = str(uuid.uuid4())
            call.goodbye_operation = await self.request(
                call_id, f"playPrompt {GOODBYE}",
                self.graph.play_prompt(call_id, GOODBYE, call.goodbye_context))
            if self.settings.broken == "early-hang-up" and not call.hung_up:
                call.hung_up = True
                await self.request(call_id, "hang up", self.graph.hang_up(call_id))
        elif tone == "tone3":
            await self.voicemail(call_id, call)
        else:
            log.info("call %s: %s has no menu entry", call_id, tone)

    async def remind(self, call_id: str, call: CallState) -> None:
        """A reminder call: the reminder prompt; on_operation hangs up once it has finished."""
        call.reminder_context = str(uuid.uuid4())
        call.reminder_operation = await self.request(
            call_id, f"playPrompt {REMINDER}",
            self.graph.play_prompt(call_id, REMINDER, call.reminder_context))
        if self.settings.broken == "early-hang-up" and not call.hung_up:
            call.hung_up = True
            await self.request(call_id, "hang up", self.graph.hang_up(call_id))

    async def voicemail(self, call_id: str, call: CallState) -> None:
        """Key 3: "leave a message after the beep", then a recordResponse, queued behind the
        prompt by Graph; its completion names the recording, downloaded before hanging up."""
        call.voicemail_context = str(uuid.uuid4())
        await self.request(call_id, f"playPrompt {VOICEMAIL}",
                           self.graph.play_prompt(call_id, VOICEMAIL, str(uuid.uuid4())))
        limit = None if self.settings.broken == "records-without-limit" else VOICEMAIL_SECONDS
        beep = self.settings.broken != "no-voicemail-beep"
        call.voicemail_operation = await self.request(
            call_id, "recordResponse",
            self.graph.record_response(call_id, call.voicemail_context, limit, beep))

    async def on_voicemail_recorded(self, call_id: str, call: CallState, operation: dict) -> None:
        location = operation.get("recordingLocation")
        token = operation.get("recordingAccessToken")
        log.info("call %s: voicemail ended (%s)", call_id, operation.get("completionReason"))
        if location:
            if self.settings.broken == "download-without-token":
                token = None
            audio = await self.request(call_id, "download the voicemail",
                                       self.graph.download_recording(location, token))
            if audio is not None:
                log.info("call %s: voicemail of %d bytes downloaded", call_id, len(audio))
        call.hung_up = True
        await self.request(call_id, "hang up", self.graph.hang_up(call_id))

    async def on_roster(self, call_id: str, participants: list) -> None:
        """The line is one-to-one: a participant other than the caller and the bot is removed."""
        call = self.calls.get(call_id)
        if call is None or call.caller is None or call.recorder or call.hung_up or call.outbound:
            return
        for participant in participants:
            if not isinstance(participant, dict):
                continue
            identity = (participant.get("info") or {}).get("identity") or {}
            pid = participant.get("id")
            if not pid or pid in call.removed or identity.get("application"):
                continue
            is_caller = identity_key(identity) == call.caller
            if is_caller != (self.settings.broken == "removes-the-caller"):
                continue
            call.removed.add(pid)
            name = (identity.get("user") or identity.get("phone") or {}).get("displayName") or pid
            await self.request(call_id, f"remove {name}", self.graph.remove_participant(call_id, pid))

    async def on_operation(self, call_id: str, operation: dict) -> None:
        call = self.calls.get(call_id)
        status = operation.get("status")
        log.info("call %s: operation %s %s", call_id, operation.get("@odata.type"), status)
        if call is None or call.hung_up:
            return
        if call.voicemail_context and (
                operation.get("clientContext") == call.voicemail_context
                or (call.voicemail_operation and operation.get("id") == call.voicemail_operation)):
            if status in ("completed", "failed"):
                await self.on_voicemail_recorded(call_id, call, operation)
            return
        # The goodbye's or the reminder's completion ends the call. It may arrive before
        # playPrompt's own answer: match the clientContext the bot chose, or the operation id
        # once known.
        def matches(context: Optional[str], op_id: Optional[str]) -> bool:
            return context is not None and (
                operation.get("clientContext") == context
                or (op_id is not None and operation.get("id") == op_id))

        ours = (matches(call.goodbye_context, call.goodbye_operation)
                or matches(call.reminder_context, call.reminder_operation))
        if ours and status in ("completed", "failed"):
            call.hung_up = True
            await self.request(call_id, "hang up", self.graph.hang_up(call_id))

    async def greeting(self, call_id: str, call: CallState) -> str:
        """The welcome prompt: by name for a caller the CRM knows, waiting for the lookup at
        most CRM_TIMEOUT after the call came in; the generic one otherwise."""
        if call.greeting is None:
            name = None
            if call.lookup is not None:
                left = call.came_in + CRM_TIMEOUT - asyncio.get_running_loop().time()
                try:
                    name = await asyncio.wait_for(asyncio.shield(call.lookup), max(left, 0.0))
                except asyncio.TimeoutError:
                    log.info("call %s: the CRM did not answer in time, generic welcome", call_id)
            call.greeting = WELCOME_BACK.format(quote(name)) if name else WELCOME
        return call.greeting

    def forget(self, call_id: str) -> None:
        self.calls.pop(call_id, None)
        self.ended[call_id] = None
        while len(self.ended) > ENDED_KEPT:
            self.ended.popitem(last=False)

    async def request(self, call_id: str, what: str, request):
        """Awaits one Graph request, logging it; a failure is logged, not raised."""
        try:
            result = await request
            log.info("call %s: %s: done", call_id, what)
            return result
        except Exception as e:
            log.error("call %s: %s failed: %s", call_id, what, describe(e))
            return None

    # ---- the trigger

    async def place_call(self, user_id: str, display_name: Optional[str], reminder: bool = False) -> str:
        call_id = await self.graph.create(user_id, display_name, self.settings.callback_uri)
        call = self.calls.setdefault(call_id, CallState())
        call.outbound = True
        call.placed = True
        call.reminder = reminder
        log.info("call %s: %splaced to %s", call_id, "reminder " if reminder else "", display_name or user_id)
        if call.established_early and call_id not in self.ended:
            call.established_early = False
            asyncio.ensure_future(self.on_established(call_id, call))
        return call_id


def caller_number(data: dict) -> Optional[str]:
    """The phone number of an incoming call's caller (`source.identity.phone.id`), if any."""
    source = data.get("source") or {}
    identity = source.get("identity") or {} if isinstance(source, dict) else {}
    phone = identity.get("phone") or {} if isinstance(identity, dict) else {}
    number = phone.get("id") if isinstance(phone, dict) else None
    return number if isinstance(number, str) and number else None
