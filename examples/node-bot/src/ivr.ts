// The IVR itself: what the bot does with each notification, one state per call.
//
// Node runs this on one thread, so a check-and-set before the first `await` cannot race with
// another notification. Graph repeats and reorders notifications, so each action happens once
// per call: answer once, welcome once (on the first `established`), each tone once (by its
// sequenceId), hang up once.

import { randomUUID } from "node:crypto";

import { SLOW_ANSWER_SECONDS, type Broken } from "./broken.js";
import { CRM_TIMEOUT_MS, type Crm } from "./crm.js";
import { describe, type GraphCalls, type Identity } from "./graph.js";
import { log } from "./log.js";

export const WELCOME = "https://example.com/welcome.wav";
/** A caller the CRM knows hears their name. */
export const welcomeBack = (name: string): string => `https://example.com/welcome-back/${encodeURIComponent(name)}.wav`;
export const GOODBYE = "https://example.com/goodbye.wav";
/** What an outbound reminder call (`POST /api/reminder`) plays before it hangs up. */
export const REMINDER = "https://example.com/reminder.wav";
/** "Please leave a message after the beep." */
export const VOICEMAIL = "https://example.com/voicemail.wav";
const VOICEMAIL_SECONDS = 30;
/** Ended calls are remembered (so that a late duplicate does nothing) up to this many. */
const ENDED_KEPT = 10_000;

export interface IvrSettings {
  callbackUri: string;
  transferTo: Identity;
  broken: Broken | undefined;
  /** The CRM callers are looked up in (`CRM_URL`). */
  crm: Crm;
}

interface CallState {
  outbound: boolean;
  /** The trigger's create has answered with this call's id (its state is the bot's own). */
  placed: boolean;
  /** An `established` that came before the create's answer: acted on once that answer is in. */
  establishedEarly: boolean;
  /** A reminder call: plays REMINDER, then hangs up once that prompt has finished. */
  reminder: boolean;
  reminderContext?: string;
  reminderOperation?: string;
  /** Only NODE_BOT_BROKEN=needs-establishing looks at it: the bot is right to act on
   * `established` whatever came before (Graph's notifications may arrive out of order). */
  establishingSeen: boolean;
  answered: boolean;
  welcomed: boolean;
  transferring: boolean;
  goodbyeContext?: string;
  goodbyeOperation?: string;
  hungUp: boolean;
  // Teams invited the bot to record this call (policy-based recording): it answers and reports
  // that it records; it plays nothing to the call.
  recorder: boolean;
  tonesSeen: Set<string>;
  // Key 3: the voicemail's recordResponse (its clientContext, then its id once known).
  voicemailContext?: string;
  voicemailOperation?: string;
  // The caller's user id or phone number (from the incoming call's source), and the
  // participants already removed: the line is one-to-one, anyone else who joins is removed.
  caller?: string;
  removed: Set<string>;
  // The CRM lookup of the caller, started when the call came in; its prompt once chosen.
  lookup?: Promise<string | undefined>;
  cameIn?: number;
  greeting?: string;
}

/** A person's id in an identitySet: the user's id, else the phone number. */
function identityKey(identity: unknown): string | undefined {
  if (!identity || typeof identity !== "object") return undefined;
  for (const kind of ["user", "phone"]) {
    const who = (identity as Record<string, { id?: unknown } | undefined>)[kind];
    if (who && typeof who.id === "string" && who.id) return who.id;
  }
  return undefined;
}

function newCall(): CallState {
  return {
    outbound: false,
    placed: false,
    establishedEarly: false,
    reminder: false,
    establishingSeen: false,
    answered: false,
    welcomed: false,
    transferring: false,
    hungUp: false,
    recorder: false,
    tonesSeen: new Set(),
    removed: new Set(),
  };
}

/** One item of a commsNotifications body, as far as the IVR reads it. */
interface NotificationItem {
  changeType?: string;
  resource?: string;
  resourceUrl?: string;
  resourceData?: Record<string, unknown>;
}

interface ToneInfo {
  tone?: string;
  sequenceId?: number;
}

export class Ivr {
  private readonly calls = new Map<string, CallState>();
  /** A Map keeps insertion order: the oldest ended call is forgotten first. */
  private readonly ended = new Map<string, true>();

  constructor(
    private readonly graph: GraphCalls,
    private readonly settings: IvrSettings,
  ) {}

  /** Handles one commsNotifications body (already authenticated). Never throws. */
  async handle(body: { value?: unknown }): Promise<void> {
    const items = Array.isArray(body.value) ? (body.value as NotificationItem[]) : [];
    for (const item of items) {
      try {
        await this.handleItem(item);
      } catch (e) {
        // One bad item must not stop the others, nor the bot.
        log("ivr", `notification ${item?.resourceUrl} failed: ${describe(e)}`);
      }
    }
  }

  private async handleItem(item: NotificationItem): Promise<void> {
    const resource = item.resourceUrl ?? item.resource ?? "";
    const change = item.changeType;
    const data = item.resourceData ?? {};
    // /communications/calls/{id}[/operations/{op}] or /app/calls/{id}[...]
    const parts = resource.replace(/^\/+|\/+$/g, "").split("/");
    const at = parts.indexOf("calls");
    const callId = at >= 0 ? parts[at + 1] : undefined;
    if (!callId) {
      log("ivr", `notification for ${JSON.stringify(resource)} ignored: not a call`);
      return;
    }
    const kind = typeof data["@odata.type"] === "string" ? data["@odata.type"] : "";
    const lateTone = this.settings.broken === "acts-after-hang-up" && Boolean(data.toneInfo);
    if (this.ended.has(callId) && !lateTone) {
      log("ivr", `call ${callId}: ${change} ${kind || "item"} after the call ended, ignored`);
      return;
    }
    if (resource.includes("/operations/") || kind.endsWith("Operation")) {
      await this.onOperation(callId, data);
      return;
    }
    if (resource.replace(/\/+$/, "").endsWith("/participants") && Array.isArray(item.resourceData)) {
      await this.onRoster(callId, item.resourceData as unknown[]);
      return;
    }
    if (kind !== "#microsoft.graph.call") {
      log("ivr", `call ${callId}: ${change} ${kind || "item"} (nothing to do)`);
      return;
    }
    const state = data.state;
    const toneInfo = data.toneInfo as ToneInfo | undefined;
    log("ivr", `call ${callId}: ${change} state=${state}${toneInfo ? ` tone=${toneInfo.tone}` : ""}`);
    if (change === "deleted" || state === "terminated") {
      this.forget(callId);
      return;
    }
    let call = this.calls.get(callId);
    if (!call) {
      call = newCall();
      this.calls.set(callId, call);
    }
    if (data.direction === "outgoing") call.outbound = true;
    if (change === "created" && state === "incoming") {
      // A policy-recording invite names the observed (recorded) participant.
      call.recorder = Boolean(data.incomingContext);
      call.caller = identityKey((data.source as { identity?: unknown } | undefined)?.identity);
      await this.onIncoming(callId, call, callerNumber(data));
    } else if (toneInfo) {
      await this.onTone(callId, call, toneInfo);
    } else if (state === "establishing") {
      call.establishingSeen = true;
    } else if (state === "established") {
      if (this.settings.broken === "needs-establishing" && !call.establishingSeen) {
        // The bug: the first `established` is spent waiting for `establishing`, and only the
        // first one ever greets.
        log("ivr", `call ${callId}: established before establishing; ignored (NODE_BOT_BROKEN=needs-establishing)`);
        call.welcomed = true;
        return;
      }
      if (call.outbound && !call.placed) {
        // The callee answered before the create's answer reached the bot: whether this is a
        // reminder is known only then (placeCall acts on it).
        call.establishedEarly = true;
        return;
      }
      await this.onEstablished(callId, call);
    }
  }

  private async onIncoming(callId: string, call: CallState, number: string | undefined): Promise<void> {
    if (call.answered) {
      log("ivr", `call ${callId}: incoming again (duplicate), already answered`);
      return;
    }
    call.answered = true;
    if (number && !call.recorder) {
      // Alongside the answer, never before it: Graph gives the bot 15 s to answer.
      call.cameIn = Date.now();
      call.lookup = this.settings.crm.callerName(number);
    }
    if (this.settings.broken === "slow-answer") {
      log("ivr", `call ${callId}: answering in ${SLOW_ANSWER_SECONDS} s (NODE_BOT_BROKEN=slow-answer)`);
      await new Promise((resolve) => setTimeout(resolve, SLOW_ANSWER_SECONDS * 1000));
    }
    await this.request(callId, "answer", () => this.graph.answer(callId, this.settings.callbackUri));
    if (call.recorder) {
      // Under a strict policy Teams cancels the recorded user's call when the recorder does not
      // record: report at once (call-updaterecordingstatus.md).
      await this.request(callId, "updateRecordingStatus recording", () =>
        this.graph.updateRecordingStatus(callId, "recording", randomUUID()),
      );
    }
  }

  private async onEstablished(callId: string, call: CallState): Promise<void> {
    if (call.recorder) {
      log("ivr", `call ${callId}: established; recording (no prompt for a recorder)`);
      return;
    }
    // Only the first `established` acts, so the prompt always precedes subscribeToTone even
    // when a repeat arrives while the prompt request is under way.
    const first = !call.welcomed;
    call.welcomed = true;
    if (!first && this.settings.broken !== "double-prompt") {
      log("ivr", `call ${callId}: established again, already welcomed`);
      return;
    }
    if (call.reminder) {
      await this.remind(callId, call);
      return;
    }
    const prompt = await this.greeting(callId, call);
    await this.request(callId, `playPrompt ${prompt}`, () => this.graph.playPrompt(callId, prompt, randomUUID()));
    if (first && !call.outbound && this.settings.broken !== "no-tone-subscription") {
      await this.request(callId, "subscribeToTone", () => this.graph.subscribeToTone(callId, randomUUID()));
    }
  }

  /** The welcome prompt: by name for a caller the CRM knows, waiting for the lookup at most
   * CRM_TIMEOUT_MS after the call came in; the generic one otherwise. */
  private async greeting(callId: string, call: CallState): Promise<string> {
    if (call.greeting === undefined) {
      let name: string | undefined;
      if (call.lookup) {
        const left = Math.max((call.cameIn ?? 0) + CRM_TIMEOUT_MS - Date.now(), 0);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => {
            log("ivr", `call ${callId}: the CRM did not answer in time, generic welcome`);
            resolve(undefined);
          }, left);
        });
        name = await Promise.race([call.lookup, late]);
        clearTimeout(timer);
      }
      call.greeting = name ? welcomeBack(name) : WELCOME;
    }
    return call.greeting;
  }

  private async onTone(callId: string, call: CallState, toneInfo: ToneInfo): Promise<void> {
    const { tone, sequenceId } = toneInfo;
    const key = `${sequenceId}/${tone}`;
    if (sequenceId !== undefined && call.tonesSeen.has(key)) {
      log("ivr", `call ${callId}: ${tone} (sequence ${sequenceId}) again, ignored`);
      return;
    }
    call.tonesSeen.add(key);
    if (call.transferring || call.goodbyeContext || call.voicemailContext || call.hungUp) {
      log("ivr", `call ${callId}: ${tone} ignored, the call is already ending`);
      return;
    }
    if (tone === "tone1") {
      call.transferring = true;
      const target = this.settings.broken === "wrong-transfer" ? { displayName: "Bob" } : this.settings.transferTo;
      await this.request(callId, `transfer to ${target.displayName}`, () => this.graph.transfer(callId, target));
    } else if (tone === "tone2") {
      if (this.settings.broken === "no-goodbye") {
        call.hungUp = true;
        await this.request(callId, "hang up", () => this.graph.hangUp(callId));
        return;
      }
      const context = randomUUID();
      call.goodbyeContext = context;
      call.goodbyeOperation = await this.request(callId, `playPrompt ${GOODBYE}`, () =>
        this.graph.playPrompt(callId, GOODBYE, context),
      );
      if (this.settings.broken === "early-hang-up" && !call.hungUp) {
        call.hungUp = true;
        await this.request(callId, "hang up", () => this.graph.hangUp(callId));
      }
    } else if (tone === "tone3") {
      await this.voicemail(callId, call);
    } else {
      log("ivr", `call ${callId}: ${tone} has no menu entry`);
    }
  }

  /** A reminder call: the reminder prompt; onOperation hangs up once it has finished. */
  private async remind(callId: string, call: CallState): Promise<void> {
    const context = randomUUID();
    call.reminderContext = context;
    call.reminderOperation = await this.request(callId, `playPrompt ${REMINDER}`, () =>
      this.graph.playPrompt(callId, REMINDER, context),
    );
    if (this.settings.broken === "early-hang-up" && !call.hungUp) {
      call.hungUp = true;
      await this.request(callId, "hang up", () => this.graph.hangUp(callId));
    }
  }

  /**
   * Key 3: "leave a message after the beep", then a recordResponse, queued behind the prompt by
   * Graph; its completion names the recording, downloaded before hanging up.
   */
  private async voicemail(callId: string, call: CallState): Promise<void> {
    const context = randomUUID();
    call.voicemailContext = context;
    await this.request(callId, `playPrompt ${VOICEMAIL}`, () =>
      this.graph.playPrompt(callId, VOICEMAIL, randomUUID()),
    );
    const limit = this.settings.broken === "records-without-limit" ? undefined : VOICEMAIL_SECONDS;
    const beep = this.settings.broken !== "no-voicemail-beep";
    call.voicemailOperation = await this.request(callId, "recordResponse", () =>
      this.graph.recordResponse(callId, context, limit, beep),
    );
  }

  private async onVoicemailRecorded(callId: string, call: CallState, operation: Record<string, unknown>): Promise<void> {
    call.hungUp = true;
    const location = operation.recordingLocation;
    let token = typeof operation.recordingAccessToken === "string" ? operation.recordingAccessToken : undefined;
    log("ivr", `call ${callId}: voicemail ended (${operation.completionReason})`);
    if (typeof location === "string" && location) {
      if (this.settings.broken === "download-without-token") token = undefined;
      const audio = await this.request(callId, "download the voicemail", () =>
        this.graph.downloadRecording(location, token),
      );
      if (audio) log("ivr", `call ${callId}: voicemail of ${audio.byteLength} bytes downloaded`);
    }
    await this.request(callId, "hang up", () => this.graph.hangUp(callId));
  }

  /** The line is one-to-one: a participant other than the caller and the bot is removed. */
  private async onRoster(callId: string, participants: unknown[]): Promise<void> {
    const call = this.calls.get(callId);
    if (!call || call.caller === undefined || call.recorder || call.hungUp || call.outbound) return;
    for (const participant of participants) {
      if (!participant || typeof participant !== "object") continue;
      const p = participant as { id?: unknown; info?: { identity?: Record<string, unknown> } };
      const identity = p.info?.identity ?? {};
      if (typeof p.id !== "string" || !p.id || call.removed.has(p.id) || identity.application) continue;
      const isCaller = identityKey(identity) === call.caller;
      if (isCaller !== (this.settings.broken === "removes-the-caller")) continue;
      call.removed.add(p.id);
      const id = p.id;
      const who = (identity.user ?? identity.phone) as { displayName?: unknown } | undefined;
      const name = typeof who?.displayName === "string" ? who.displayName : id;
      await this.request(callId, `remove ${name}`, () => this.graph.removeParticipant(callId, id));
    }
  }

  private async onOperation(callId: string, operation: Record<string, unknown>): Promise<void> {
    const call = this.calls.get(callId);
    const status = operation.status;
    log("ivr", `call ${callId}: operation ${operation["@odata.type"]} ${status}`);
    if (!call || call.hungUp) return;
    const voicemail =
      call.voicemailContext !== undefined &&
      (operation.clientContext === call.voicemailContext ||
        (call.voicemailOperation !== undefined && operation.id === call.voicemailOperation));
    if (voicemail) {
      if (status === "completed" || status === "failed") await this.onVoicemailRecorded(callId, call, operation);
      return;
    }
    // The goodbye's or the reminder's completion ends the call. It may arrive before
    // playPrompt's own answer: match the clientContext the bot chose, or the operation id once
    // known.
    const matches = (context: string | undefined, id: string | undefined) =>
      context !== undefined &&
      (operation.clientContext === context || (id !== undefined && operation.id === id));
    const ours =
      matches(call.goodbyeContext, call.goodbyeOperation) || matches(call.reminderContext, call.reminderOperation);
    if (ours && (status === "completed" || status === "failed")) {
      call.hungUp = true;
      await this.request(callId, "hang up", () => this.graph.hangUp(callId));
    }
  }

  private forget(callId: string): void {
    this.calls.delete(callId);
    this.ended.set(callId, true);
    for (const oldest of this.ended.keys()) {
      if (this.ended.size <= ENDED_KEPT) break;
      this.ended.delete(oldest);
    }
  }

  /** Runs one Graph request, logging it; a failure is logged, not thrown. */
  private async request<T>(callId: string, what: string, send: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await send();
      log("ivr", `call ${callId}: ${what}: done`);
      return result;
    } catch (e) {
      log("ivr", `call ${callId}: ${what} failed: ${describe(e)}`);
      return undefined;
    }
  }

  /** The trigger: places a call to a user; returns its id, or throws what Graph said. */
  async placeCall(callee: Identity, reminder = false): Promise<string> {
    const callId = await this.graph.create(callee, this.settings.callbackUri);
    const call = this.calls.get(callId) ?? newCall();
    call.outbound = true;
    call.placed = true;
    call.reminder = reminder;
    this.calls.set(callId, call);
    log("ivr", `call ${callId}: ${reminder ? "reminder " : ""}placed to ${callee.displayName ?? callee.id}`);
    if (call.establishedEarly && !this.ended.has(callId)) {
      call.establishedEarly = false;
      void this.onEstablished(callId, call).catch((e) => log("ivr", `call ${callId}: ${describe(e)}`));
    }
    return callId;
  }
}

/** The phone number of an incoming call's caller (`source.identity.phone.id`), if any. */
function callerNumber(data: Record<string, unknown>): string | undefined {
  const source = data.source as { identity?: { phone?: { id?: unknown } } } | undefined;
  const number = source?.identity?.phone?.id;
  return typeof number === "string" && number ? number : undefined;
}
