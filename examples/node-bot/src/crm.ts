// The CRM the IVR looks its callers up in: `GET {CRM_URL}/customers/{phone number}`.
//
// A known caller (200 with `{"name": "Ada"}`) is greeted by name; anything else (404, a 5xx,
// no answer within CRM_TIMEOUT_MS, a body without a name, no CRM_URL at all) leaves the
// generic welcome. The lookup never delays the answer: it starts when the call comes in and the
// greeting waits for it, at most CRM_TIMEOUT_MS after the call came in.

import { log } from "./log.js";

/** A caller should not hear silence while the CRM thinks. */
export const CRM_TIMEOUT_MS = 1000;

export class Crm {
  private readonly baseUrl: string | undefined;

  constructor(baseUrl: string | undefined) {
    this.baseUrl = baseUrl ? baseUrl.replace(/\/+$/, "") : undefined;
  }

  /** The caller's name, or undefined for an unknown caller or a CRM that failed. */
  async callerName(number: string): Promise<string | undefined> {
    if (!this.baseUrl || !number) return undefined;
    const url = `${this.baseUrl}/customers/${encodeURIComponent(number).replace(/%2B/g, "+")}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(CRM_TIMEOUT_MS) });
      if (response.status !== 200) {
        log("crm", `lookup of ${number}: ${response.status}`);
        return undefined;
      }
      const body = (await response.json()) as { name?: unknown };
      return typeof body?.name === "string" && body.name ? body.name : undefined;
    } catch (e) {
      log("crm", `lookup of ${number} failed: ${e instanceof Error ? e.name : "error"}`);
      return undefined;
    }
  }
}
