"""The CRM the IVR looks its callers up in: `GET {CRM_URL}/customers/{phone number}`.

A known caller (200 with `{"name": "Ada"}`) is greeted by name; anything else (404, a 5xx, no
answer within CRM_TIMEOUT, a body without a name, no CRM_URL at all) leaves the generic welcome.
The lookup never delays the answer: it starts when the call comes in and the greeting waits for
it, at most CRM_TIMEOUT after the call came in.
"""

import logging
from typing import Optional
from urllib.parse import quote

import httpx

log = logging.getLogger("ivr.crm")
CRM_TIMEOUT = 1.0  # seconds: a caller should not hear silence while the CRM thinks


class Crm:
    def __init__(self, base_url: Optional[str]):
        self.base_url = base_url.rstrip("/") if base_url else None
        self._client: Optional[httpx.AsyncClient] = None

    def _http(self) -> httpx.AsyncClient:
        # Made on the bot's asyncio loop, where every lookup runs.
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=CRM_TIMEOUT)
        return self._client

    async def caller_name(self, number: str) -> Optional[str]:
        """The caller's name, or None for an unknown caller or a CRM that failed."""
        if not self.base_url or not number:
            return None
        url = f"{self.base_url}/customers/{quote(number, safe='+')}"
        try:
            response = await self._http().get(url)
        except httpx.HTTPError as e:
            log.warning("CRM lookup of %s failed: %s", number, type(e).__name__)
            return None
        if response.status_code != 200:
            log.info("CRM lookup of %s: %d", number, response.status_code)
            return None
        try:
            name = response.json().get("name")
        except (ValueError, AttributeError):
            return None
        return name if isinstance(name, str) and name else None
