// The bot's Graph calls: msal-node's confidential client for the app token, Node's own fetch for
// the requests.
//
// Pointing both at callspec (or any other stand-in) takes the authority (with its host:port in
// `knownAuthorities`, see below) and the Graph base URL; nothing else differs from a bot that
// talks to Microsoft.

import { ConfidentialClientApplication, LogLevel } from "@azure/msal-node";

import { log } from "./log.js";

export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const MICROSOFT_AUTHORITY_HOST = "https://login.microsoftonline.com";
/** How long one Graph request may take, each try. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Tries per request when Graph throttles (429) or is briefly unavailable (503). */
const MAX_TRIES = 3;
/** The longest Retry-After the bot honours; beyond it, the request fails. */
const MAX_RETRY_AFTER_MS = 60_000;

export interface GraphSettings {
  /** e.g. https://graph.microsoft.com/v1.0 */
  graphUrl: string;
  /** e.g. https://login.microsoftonline.com/{tenant}; callspec hands it as CALLSPEC_AUTHORITY. */
  authority: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** NODE_BOT_BROKEN=ignores-retry-after: a throttled request is tried again at once. */
  retryAtOnce?: boolean;
}

/** A Graph request that failed, with Graph's status, code and message (never a token). */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`HTTP ${status} ${code}: ${message}`);
  }
}

export function describe(error: unknown): string {
  if (error instanceof GraphError) return error.message;
  if (error instanceof Error) {
    // msal-node's errors carry a code (e.g. invalid_client) and the identity platform's text.
    const code = (error as { errorCode?: string }).errorCode;
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${code ? `${code}: ` : ""}${error.message}${cause}`;
  }
  return String(error);
}

export interface Identity {
  displayName?: string;
  id?: string;
}

function userIdentity(user: Identity) {
  return {
    "@odata.type": "#microsoft.graph.identitySet",
    user: { "@odata.type": "#microsoft.graph.identity", ...user },
  };
}

const SERVICE_HOSTED_MEDIA = { "@odata.type": "#microsoft.graph.serviceHostedMediaConfig" };

/** The calling requests the IVR makes. */
export class GraphCalls {
  private readonly msal: ConfidentialClientApplication;

  constructor(private readonly settings: GraphSettings) {
    const authorityHost = new URL(settings.authority).host;
    this.msal = new ConfidentialClientApplication({
      auth: {
        clientId: settings.clientId,
        clientSecret: settings.clientSecret,
        authority: settings.authority,
        // The one change a bot makes to be tested: msal-node has no switch to turn instance
        // discovery off; it skips it for a host it is told it knows. The host must carry its
        // port (`127.0.0.1:P`), or msal-node fails with endpoints_resolution_error.
        knownAuthorities:
          `https://${authorityHost}` === MICROSOFT_AUTHORITY_HOST ? [] : [authorityHost],
      },
      system: {
        loggerOptions: {
          // Warning would log "No client info in response" for every app token (app tokens
          // have none); errors are what matter.
          logLevel: LogLevel.Error,
          piiLoggingEnabled: false,
          loggerCallback: (_level, message, containsPii) => {
            if (!containsPii) log("msal", message);
          },
        },
      },
    });
  }

  /** The app token; msal-node caches it and asks for a new one shortly before it expires. */
  async token(): Promise<string> {
    const result = await this.msal.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    if (!result?.accessToken) {
      throw new Error("the identity platform answered without an access token");
    }
    return result.accessToken;
  }

  answer(callId: string, callbackUri: string): Promise<unknown> {
    return this.request("POST", `/communications/calls/${encodeURIComponent(callId)}/answer`, {
      callbackUri,
      acceptedModalities: ["audio"],
      mediaConfig: SERVICE_HOSTED_MEDIA,
    });
  }

  /** Starts a prompt; returns the operation's id (its completion arrives as a notification). */
  async playPrompt(callId: string, uri: string, clientContext: string): Promise<string | undefined> {
    const operation = await this.request("POST", `/communications/calls/${encodeURIComponent(callId)}/playPrompt`, {
      clientContext,
      prompts: [
        {
          "@odata.type": "#microsoft.graph.mediaPrompt",
          mediaInfo: { "@odata.type": "#microsoft.graph.mediaInfo", uri },
        },
      ],
    });
    const id = (operation as { id?: unknown } | undefined)?.id;
    return typeof id === "string" ? id : undefined;
  }

  updateRecordingStatus(callId: string, status: string, clientContext: string): Promise<unknown> {
    return this.request("POST", `/communications/calls/${encodeURIComponent(callId)}/updateRecordingStatus`, {
      clientContext,
      status,
    });
  }

  subscribeToTone(callId: string, clientContext: string): Promise<unknown> {
    return this.request("POST", `/communications/calls/${encodeURIComponent(callId)}/subscribeToTone`, {
      clientContext,
    });
  }

  transfer(callId: string, target: Identity): Promise<unknown> {
    return this.request("POST", `/communications/calls/${encodeURIComponent(callId)}/transfer`, {
      transferTarget: {
        "@odata.type": "#microsoft.graph.invitationParticipantInfo",
        identity: userIdentity(target),
      },
    });
  }

  /**
   * Records the caller (a voicemail): ends on 2 s of silence after they spoke, on `#`, or after
   * `maxSeconds` (undefined: Graph's default, 5 s); returns the operation's id (its completion
   * names the recording).
   */
  async recordResponse(
    callId: string,
    clientContext: string,
    maxSeconds: number | undefined,
    beep: boolean,
  ): Promise<string | undefined> {
    const operation = await this.request("POST", `/communications/calls/${encodeURIComponent(callId)}/recordResponse`, {
      clientContext,
      playBeep: beep,
      initialSilenceTimeoutInSeconds: 5,
      maxSilenceTimeoutInSeconds: 2,
      ...(maxSeconds === undefined ? {} : { maxRecordDurationInSeconds: maxSeconds }),
      stopTones: ["#"],
    });
    const id = (operation as { id?: unknown } | undefined)?.id;
    return typeof id === "string" ? id : undefined;
  }

  /**
   * Fetches a finished recording from its recordingLocation (call-record.md): it is served only
   * with `Authorization: Bearer {recordingAccessToken}`, not the Graph token, and only briefly.
   */
  async downloadRecording(location: string, accessToken: string | undefined): Promise<Uint8Array> {
    const response = await fetch(location, {
      headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) {
      throw new Error(`the recording's download answered HTTP ${response.status}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  removeParticipant(callId: string, participantId: string): Promise<unknown> {
    return this.request(
      "DELETE",
      `/communications/calls/${encodeURIComponent(callId)}/participants/${encodeURIComponent(participantId)}`,
    );
  }

  hangUp(callId: string): Promise<unknown> {
    return this.request("DELETE", `/communications/calls/${encodeURIComponent(callId)}`);
  }

  /** Places a peer-to-peer call to a user; returns the new call's id. */
  async create(callee: Identity, callbackUri: string): Promise<string> {
    const call = await this.request("POST", "/communications/calls", {
      "@odata.type": "#microsoft.graph.call",
      callbackUri,
      targets: [
        {
          "@odata.type": "#microsoft.graph.invitationParticipantInfo",
          identity: userIdentity(callee),
        },
      ],
      requestedModalities: ["audio"],
      mediaConfig: SERVICE_HOSTED_MEDIA,
      tenantId: this.settings.tenantId,
    });
    const id = (call as { id?: unknown } | undefined)?.id;
    if (typeof id !== "string" || !id) {
      throw new Error("Graph created the call but its answer has no call id");
    }
    return id;
  }

  /**
   * One Graph request: the app token, JSON in and out, Graph's error envelope turned into a
   * GraphError. A 429 or 503 is tried again after its Retry-After (seconds or an HTTP date), as
   * Graph's throttling guidance asks, up to MAX_TRIES tries.
   */
  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = `${this.settings.graphUrl}${path}`;
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${await this.token()}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      if (response.ok) {
        return text ? JSON.parse(text) : undefined;
      }
      const retryAfter = retryAfterMs(response.headers.get("retry-after"));
      const wait = retryAfter !== undefined && this.settings.retryAtOnce ? 0 : retryAfter;
      if ((response.status === 429 || response.status === 503) && attempt < MAX_TRIES && wait !== undefined) {
        log("graph", `${method} ${path}: ${response.status}, trying again in ${wait} ms`);
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      throw graphError(response.status, text);
    }
  }
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or absurd. */
export function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = Math.max(0, date - Date.now());
  }
  return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
}

function graphError(status: number, text: string): GraphError {
  try {
    const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (error && typeof error.code === "string") {
      return new GraphError(status, error.code, String(error.message ?? ""));
    }
  } catch {
    // Not Graph's envelope: fall through to the text itself.
  }
  return new GraphError(status, "(no error code)", text.slice(0, 200));
}
