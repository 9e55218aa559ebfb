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

from graph import GraphCalls, describe

WELCOME = "https://example.com/welcome.wav"
GOODBYE = "https://example.com/goodbye.wav"
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
    "ignores-retry-after": "retries a throttled (429) request at once, ignoring Retry-After",
    "needs-establishing": "stalls when `established` arrives before `establishing`",
    "early-hang-up": "hangs up as soon as the goodbye prompt starts, not when it has finished",
    "acts-after-hang-up": "acts on a key press that arrives after the call ended",
    "no-tone-subscription": "never subscribes to tones",
}


@dataclass
class CallState:
    outbound: bool = False
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
    # Only IVR_BROKEN=needs-establishing looks at it: the bot is right to act on `established`
    # whatever came before (Graph's notifications may arrive out of order).
    establishing_seen: bool = False


class Ivr:
    def __init__(self, graph: GraphCalls, settings: Settings):
        self.graph = graph
        self.settings = settings
        self.calls: dict[str, CallState] = {}
        self.ended: "OrderedDict[str, None]" = OrderedDict()

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
            await self.on_incoming(call_id, call)
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
            await self.on_established(call_id, call)

    async def on_incoming(self, call_id: str, call: CallState) -> None:
        if call.answered:
            log.info("call %s: incoming again (duplicate), already answered", call_id)
            return
        call.answered = True
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
        await self.request(call_id, f"playPrompt {WELCOME}",
                           self.graph.play_prompt(call_id, WELCOME, str(uuid.uuid4())))
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
        if call.transferring or call.goodbye_context:
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
        else:
            log.info("call %s: %s has no menu entry", call_id, tone)

    async def on_operation(self, call_id: str, operation: dict) -> None:
        call = self.calls.get(call_id)
        status = operation.get("status")
        log.info("call %s: operation %s %s", call_id, operation.get("@odata.type"), status)
        if call is None or not call.goodbye_context or call.hung_up:
            return
        # The completion may arrive before playPrompt's own answer: match the clientContext
        # the bot chose, or the operation id once known.
        ours = (operation.get("clientContext") == call.goodbye_context
                or (call.goodbye_operation and operation.get("id") == call.goodbye_operation))
        if ours and status in ("completed", "failed"):
            call.hung_up = True
            await self.request(call_id, "hang up", self.graph.hang_up(call_id))

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

    async def place_call(self, user_id: str, display_name: Optional[str]) -> str:
        call_id = await self.graph.create(user_id, display_name, self.settings.callback_uri)
        call = self.calls.setdefault(call_id, CallState())
        call.outbound = True
        log.info("call %s: placed to %s", call_id, display_name or user_id)
        return call_id
