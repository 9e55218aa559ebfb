// Validation of the token Graph puts on each notification (the Authorization header), with jose.
//
// Graph signs notifications with keys published at an OpenID configuration
// (https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration); the token's issuer is
// https://api.botframework.com and its audience the bot's app id. Anything else is refused.

import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
} from "jose";

import type { Broken } from "./broken.js";

/** Why a notification's token was refused (safe to log: no token in it). */
export class NotificationAuthError extends Error {}

/** The signature algorithm Graph uses; pinning it refuses `alg: none` and HS256 tricks. */
const ALGORITHMS = ["RS256"];

export interface NotificationAuthSettings {
  /** Where the signing keys are described (Graph's OpenID configuration). */
  openIdConfigUrl: string;
  issuer: string;
  /** The bot's app id. */
  audience: string;
  broken: Broken | undefined;
}

export class NotificationValidator {
  private constructor(
    private readonly settings: NotificationAuthSettings,
    private readonly jwksUri: URL,
    private readonly keys: ReturnType<typeof createRemoteJWKSet>,
  ) {}

  /**
   * Reads the OpenID configuration and loads the keys once, so that unreachable keys fail the
   * start rather than the first call.
   */
  static async load(settings: NotificationAuthSettings): Promise<NotificationValidator> {
    const config = await getJson(settings.openIdConfigUrl);
    const jwksUri = typeof config === "object" && config !== null ? (config as { jwks_uri?: unknown }).jwks_uri : undefined;
    if (typeof jwksUri !== "string") {
      throw new Error(`the OpenID configuration at ${settings.openIdConfigUrl} has no "jwks_uri"`);
    }
    const url = new URL(jwksUri);
    // jose caches the keys and refetches (at most every 30 s) when a token names an unknown kid.
    const remote = createRemoteJWKSet(url, { timeoutDuration: 10_000 });
    // Fetched now, not on the first notification: every notification of a burst would wait on it.
    await remote.reload();
    const keys = remote.jwks()?.keys;
    if (!keys || keys.length === 0) {
      throw new Error(`the key set at ${url.href} has no keys`);
    }
    return new NotificationValidator(settings, url, remote);
  }

  /** Returns the token's claims, or throws NotificationAuthError. */
  async validate(authorization: string | undefined): Promise<JWTPayload> {
    if (!authorization) {
      throw new NotificationAuthError("no Authorization header");
    }
    const [scheme, ...rest] = authorization.split(" ");
    const token = rest.join(" ").trim();
    if (scheme.toLowerCase() !== "bearer" || !token) {
      throw new NotificationAuthError("the Authorization header is not a Bearer token");
    }
    const { broken } = this.settings;
    if (broken === "no-signature-check") {
      return this.checkWithoutSignature(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: ALGORITHMS,
        issuer: broken === "no-issuer-check" ? undefined : this.settings.issuer,
        audience: broken === "no-audience-check" ? undefined : this.settings.audience,
        requiredClaims: ["exp", "iss", "aud"],
        // The bug: a clock tolerance so wide that no token is ever too old (or too young).
        clockTolerance: broken === "no-expiry-check" ? "100 years" : undefined,
      });
      return payload;
    } catch (e) {
      if (e instanceof errors.JOSEError) {
        throw new NotificationAuthError(`${e.code}: ${e.message}`);
      }
      throw new NotificationAuthError(`the token could not be checked: ${String(e)}`);
    }
  }

  /**
   * NODE_BOT_BROKEN=no-signature-check: the bug of a bot that looks the signing key up by `kid`
   * and checks the claims, but never the signature.
   */
  private async checkWithoutSignature(token: string): Promise<JWTPayload> {
    try {
      const { kid } = decodeProtectedHeader(token);
      const keySet = (await getJson(this.jwksUri.href)) as { keys?: Array<{ kid?: string }> };
      if (!kid || !keySet.keys?.some((key) => key.kid === kid)) {
        throw new NotificationAuthError(`no published key has the kid ${JSON.stringify(kid)}`);
      }
      const claims = decodeJwt(token);
      if (claims.iss !== this.settings.issuer) throw new NotificationAuthError("wrong issuer");
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!audiences.includes(this.settings.audience)) throw new NotificationAuthError("wrong audience");
      if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) {
        throw new NotificationAuthError("expired");
      }
      return claims;
    } catch (e) {
      if (e instanceof NotificationAuthError) throw e;
      throw new NotificationAuthError(`the token could not be read: ${String(e)}`);
    }
  }
}

/** A GET answering JSON, bounded in time; the error says which URL and what went wrong. */
async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) {
    throw new Error(`GET ${url} answered ${response.status}`);
  }
  return response.json();
}
