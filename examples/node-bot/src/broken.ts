// NODE_BOT_BROKEN switches one bug on, to prove callspec's steps catch real bugs: the must-fail
// specs in tests/must-fail-node-bot/ run against these.

export const SLOW_ANSWER_SECONDS = 20;

export const BROKEN_VARIANTS = {
  "no-token-check": "accepts notifications with any token, or none",
  "no-audience-check": "accepts tokens signed by Graph for any app",
  "no-expiry-check": "accepts expired tokens",
  "no-signature-check": "finds the key by kid but never checks the signature",
  "no-issuer-check": "accepts tokens from any issuer",
  "slow-answer": `answers ${SLOW_ANSWER_SECONDS} s after the incoming call`,
  "double-prompt": "plays the welcome prompt on every `established` notification",
  "wrong-transfer": 'transfers to "Bob"',
  "no-goodbye": "hangs up at once on tone 2, without the goodbye prompt",
  "no-voicemail-beep": "records a voicemail with playBeep false",
  "records-without-limit": "records a voicemail without maxRecordDurationInSeconds (Graph's default: 5 s)",
  "download-without-token": "downloads the voicemail without its recordingAccessToken",
  "removes-the-caller": "removes the caller instead of the participant who joined uninvited",
  "deleted-500": "acknowledges the `deleted` notification with 500",
  "ignores-retry-after": "retries a throttled (429) request at once, ignoring Retry-After",
  "needs-establishing": "stalls when `established` arrives before `establishing`",
  "early-hang-up": "hangs up as soon as the goodbye or reminder prompt starts, not when it has finished",
  "acts-after-hang-up": "acts on a key press that arrives after the call ended",
  "no-tone-subscription": "never subscribes to tones",
} as const;

export type Broken = keyof typeof BROKEN_VARIANTS;

/** The variant NODE_BOT_BROKEN names, undefined when unset, or an error listing the known ones. */
export function brokenFrom(value: string | undefined): Broken | undefined {
  if (!value) return undefined;
  if (Object.hasOwn(BROKEN_VARIANTS, value)) return value as Broken;
  const known = Object.entries(BROKEN_VARIANTS)
    .map(([name, what]) => `  ${name}: ${what}`)
    .join("\n");
  throw new Error(`NODE_BOT_BROKEN=${JSON.stringify(value)} is not a known variant; the known ones:\n${known}`);
}
