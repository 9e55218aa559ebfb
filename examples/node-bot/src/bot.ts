// An IVR calling bot for Microsoft Graph in Node/TypeScript, the second example bot callspec's
// specs drive.
//
// It answers incoming calls, plays a welcome prompt, listens for tones (1: transfer to a person,
// 2: goodbye and hang up) and places a call when its trigger endpoint is asked (a reminder call
// plays its prompt and hangs up). See README.md.
//
// The webhook (express) checks each notification's token, answers 202 at once and handles the
// body after the reply; all call state lives in one Ivr on Node's one thread.

import type { Server } from "node:http";

import express, { type NextFunction, type Request, type Response } from "express";

import { brokenFrom, type Broken } from "./broken.js";
import { Crm } from "./crm.js";
import { describe, GraphCalls } from "./graph.js";
import { Ivr } from "./ivr.js";
import { log } from "./log.js";
import { NotificationAuthError, NotificationValidator } from "./notificationAuth.js";

/** Notifications are a few KB; refuse anything absurd. */
const MAX_BODY = "1mb";
/** How long the trigger waits for Graph to answer the create. */
const TRIGGER_TIMEOUT_MS = 30_000;

class ConfigError extends Error {}

/** The first of `names` that is set (callspec's name first, then the SDKs' usual one). */
function env(names: string[], fallback?: string): string {
  for (const name of names) {
    const value = process.env[name];
    if (value) return value;
  }
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`${names.join(" or ")} is not set`);
}

function optionalEnv(name: string): string | undefined {
  return process.env[name] || undefined;
}

interface Settings {
  broken: Broken | undefined;
  port: number;
  callbackUri: string;
  clientId: string;
  tenantId: string;
  clientSecret: string;
  authority: string;
  graphUrl: string;
  openIdConfigUrl: string;
  issuer: string;
  transferToName: string;
  transferToId: string | undefined;
}

function settingsFromEnv(): Settings {
  let broken: Broken | undefined;
  try {
    broken = brokenFrom(optionalEnv("NODE_BOT_BROKEN"));
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const portText = env(["CALLSPEC_BOT_PORT", "NODE_BOT_PORT"], "8400");
  const port = Number(portText);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ConfigError(`the bot port ${JSON.stringify(portText)} is not a port number`);
  }
  const tenantId = env(["CALLSPEC_TENANT_ID", "AZURE_TENANT_ID"]);
  // callspec hands the whole authority; otherwise it is the authority host and the tenant.
  const authorityHost = env(["CALLSPEC_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST"], "https://login.microsoftonline.com");
  return {
    broken,
    port,
    callbackUri: env(["CALLSPEC_CALLBACK_URL", "NODE_BOT_CALLBACK_URL"]),
    clientId: env(["CALLSPEC_CLIENT_ID", "AZURE_CLIENT_ID"]),
    tenantId,
    clientSecret: env(["CALLSPEC_CLIENT_SECRET", "AZURE_CLIENT_SECRET"]),
    authority: env(["CALLSPEC_AUTHORITY"], `${authorityHost.replace(/\/+$/, "")}/${tenantId}`),
    graphUrl: env(["CALLSPEC_GRAPH_URL"], "https://graph.microsoft.com/v1.0").replace(/\/+$/, ""),
    openIdConfigUrl: env(
      ["CALLSPEC_NOTIFICATION_OPENID_CONFIG"],
      "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration",
    ),
    issuer: env(["CALLSPEC_NOTIFICATION_ISSUER"], "https://api.botframework.com"),
    transferToName: env(["NODE_BOT_TRANSFER_TO_NAME"], "Alice"),
    transferToId: optionalEnv("NODE_BOT_TRANSFER_TO_ID"),
  };
}

function app(settings: Settings, validator: NotificationValidator, ivr: Ivr): express.Express {
  const app = express();
  app.disable("x-powered-by");
  const json = express.json({ limit: MAX_BODY, strict: true });

  /** Refuses a notification whose token is not Graph's for this app; reads no body before. */
  async function authenticate(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (settings.broken === "no-token-check") return next();
    try {
      await validator.validate(req.get("authorization"));
      next();
    } catch (e) {
      const why = e instanceof NotificationAuthError ? e.message : describe(e);
      log("webhook", `notification refused (401): ${why}`);
      res.status(401).json({ error: "invalid notification token" });
    }
  }

  app.post("/api/calls", authenticate, json, (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      res.status(400).json({ error: "the body must be a JSON object" });
      return;
    }
    // Acknowledge first: Graph wants an answer within seconds; the work comes after.
    const items = (body as { value?: unknown }).value;
    const deleted =
      Array.isArray(items) && items.some((i) => (i as { changeType?: unknown } | null)?.changeType === "deleted");
    res.sendStatus(deleted && settings.broken === "deleted-500" ? 500 : 202);
    void ivr.handle(body as { value?: unknown });
  });

  /** The triggers: `/api/outbound` calls and greets; `/api/reminder` calls, plays the reminder
   * and hangs up once it has finished. */
  const place = (reminder: boolean) => async (req: Request, res: Response) => {
    const { userId, displayName } = (req.body ?? {}) as { userId?: unknown; displayName?: unknown };
    if (typeof userId !== "string" || !userId) {
      res.status(400).json({ error: 'the body needs "userId" (and may have "displayName")' });
      return;
    }
    if (displayName !== undefined && typeof displayName !== "string") {
      res.status(400).json({ error: '"displayName" must be a string' });
      return;
    }
    log("trigger", `${reminder ? "reminder for" : "call"} ${displayName ?? userId}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), TRIGGER_TIMEOUT_MS);
    });
    try {
      const callId = await Promise.race([ivr.placeCall({ id: userId, displayName }, reminder), timeout]);
      if (callId === "timeout") {
        log("trigger", `Graph did not answer the create within ${TRIGGER_TIMEOUT_MS / 1000} s`);
        res.status(504).json({ error: "Graph did not answer in time" });
        return;
      }
      res.status(202).json({ callId });
    } catch (e) {
      log("trigger", `creating the call failed: ${describe(e)}`);
      res.status(502).json({ error: `creating the call failed: ${describe(e)}` });
    } finally {
      clearTimeout(timer);
    }
  };
  app.post("/api/outbound", json, place(false));
  app.post("/api/reminder", json, place(true));

  app.get("/health", (_req: Request, res: Response) => {
    res.json({ status: "ok" });
  });

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: `no route ${req.method} ${req.path}` });
  });

  // A body that is not JSON, or too large: express's body parser says which, with its status.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) log("webhook", `request failed: ${describe(err)}`);
    res.status(status).json({ error: status === 500 ? "internal error" : err.message });
  });
  return app;
}

async function start(): Promise<{ server: Server; settings: Settings }> {
  const settings = settingsFromEnv();
  const graph = new GraphCalls({ ...settings, retryAtOnce: settings.broken === "ignores-retry-after" });
  try {
    // A token once at start, so a wrong secret or authority fails the start, not the first call.
    await graph.token();
  } catch (e) {
    throw new ConfigError(`could not get a Graph token from ${settings.authority}: ${describe(e)}`);
  }
  let validator: NotificationValidator;
  try {
    validator = await NotificationValidator.load({
      openIdConfigUrl: settings.openIdConfigUrl,
      issuer: settings.issuer,
      audience: settings.clientId,
      broken: settings.broken,
    });
  } catch (e) {
    throw new ConfigError(`could not load the notification keys from ${settings.openIdConfigUrl}: ${describe(e)}`);
  }
  const ivr = new Ivr(graph, {
    callbackUri: settings.callbackUri,
    transferTo: { displayName: settings.transferToName, id: settings.transferToId },
    broken: settings.broken,
    crm: new Crm(optionalEnv("CRM_URL")),
  });
  const server = app(settings, validator, ivr).listen({ port: settings.port, host: "127.0.0.1", backlog: 511 });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  return { server, settings };
}

async function main(): Promise<void> {
  let started: Awaited<ReturnType<typeof start>>;
  try {
    started = await start();
  } catch (e) {
    log("bot", `cannot start: ${describe(e)}`);
    process.exit(2);
  }
  const { server, settings } = started;
  log(
    "bot",
    `listening on http://127.0.0.1:${settings.port} (webhook /api/calls, triggers /api/outbound and /api/reminder)` +
      (settings.broken ? `; NODE_BOT_BROKEN=${settings.broken}` : ""),
  );
  const stop = (signal: NodeJS.Signals) => {
    log("bot", `stopping (${signal})`);
    server.close(() => process.exit(0));
    // Keep-alive connections would hold close() open; nothing in flight needs them.
    server.closeAllConnections();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

void main();
