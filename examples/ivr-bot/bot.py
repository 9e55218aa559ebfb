"""An IVR calling bot for Microsoft Graph, the example bot callspec's specs drive.

It answers incoming calls, plays a welcome prompt, listens for tones (1: transfer to a person,
2: goodbye and hang up) and places a call when its trigger endpoint is asked. Invited by Teams to
record a call (policy-based recording), it answers and reports that it records. See README.md.

Threads: the webhook server (http.server, one thread per request) checks each notification's
token, answers 202 at once and hands the body to one asyncio loop, where all Graph requests
(msgraph-sdk is async) and all call state live.
"""

import asyncio
import json
import logging
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from graph import GraphCalls, GraphSettings, describe
from ivr import BROKEN_VARIANTS, Ivr, Settings
from notification_auth import NotificationAuthError, NotificationValidator

log = logging.getLogger("ivr.bot")
MAX_BODY = 1 << 20  # notifications are a few KB; refuse anything absurd
TRIGGER_TIMEOUT = 30.0  # seconds the trigger waits for Graph to answer the create


class WebhookServer(ThreadingHTTPServer):
    # http.server's default backlog of 5 makes a burst of Graph's notifications wait for
    # SYN retries (a second each); Graph sends many calls' notifications at once.
    request_queue_size = 128
    daemon_threads = True


class ConfigError(Exception):
    pass


def env(*names: str, default: Optional[str] = None, required: bool = True) -> Optional[str]:
    """The first of `names` that is set (callspec's name first, then the SDKs' usual one)."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    if required and default is None:
        raise ConfigError(f"{' or '.join(names)} is not set")
    return default


class Bot:
    def __init__(self):
        broken = os.environ.get("IVR_BROKEN") or None
        if broken is not None and broken not in BROKEN_VARIANTS:
            known = "\n".join(f"  {name}: {what}" for name, what in BROKEN_VARIANTS.items())
            raise ConfigError(f"IVR_BROKEN={broken!r} is not a known variant; the known ones:\n{known}")
        self.broken = broken
        port = env("CALLSPEC_BOT_PORT", "IVR_BOT_PORT", default="8400")
        try:
            self.port = int(port)
        except ValueError:
            raise ConfigError(f"the bot port {port!r} is not a number") from None
        ca_file = env("CALLSPEC_CA_FILE", required=False)
        client_id = env("CALLSPEC_CLIENT_ID", "AZURE_CLIENT_ID")
        self.graph = GraphCalls(GraphSettings(
            graph_url=env("CALLSPEC_GRAPH_URL", default="https://graph.microsoft.com/v1.0").rstrip("/"),
            authority_host=env("CALLSPEC_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST", required=False),
            tenant_id=env("CALLSPEC_TENANT_ID", "AZURE_TENANT_ID"),
            client_id=client_id,
            client_secret=env("CALLSPEC_CLIENT_SECRET", "AZURE_CLIENT_SECRET"),
            ca_file=ca_file,
        ), retry_at_once=broken == "ignores-retry-after")
        self.ivr = Ivr(self.graph, Settings(
            callback_uri=env("CALLSPEC_CALLBACK_URL", "IVR_CALLBACK_URL"),
            transfer_to_name=env("IVR_TRANSFER_TO_NAME", default="Alice"),
            transfer_to_id=env("IVR_TRANSFER_TO_ID", required=False),
            broken=broken,
            crm_url=env("CRM_URL", required=False),
        ))
        self.openid_config = env(
            "CALLSPEC_NOTIFICATION_OPENID_CONFIG",
            default="https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration")
        self.issuer = env("CALLSPEC_NOTIFICATION_ISSUER", default="https://api.botframework.com")
        self.client_id = client_id
        self.ca_file = ca_file
        self.validator: Optional[NotificationValidator] = None
        self.loop = asyncio.new_event_loop()

    def start(self) -> ThreadingHTTPServer:
        threading.Thread(target=self.loop.run_forever, name="ivr-loop", daemon=True).start()
        try:
            self.graph.check_credentials()
        except Exception as e:
            raise ConfigError(f"could not get a Graph token: {describe(e)}") from None
        self.graph.warm_up()
        try:
            self.validator = NotificationValidator(self.openid_config, self.issuer, self.client_id, self.ca_file,
                                                   self.broken)
        except Exception as e:
            raise ConfigError(
                f"could not load the notification keys from {self.openid_config}: {describe(e)}") from None
        return WebhookServer(("127.0.0.1", self.port), make_handler(self))

    def submit(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)


def make_handler(bot: Bot):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ivr-bot"
        # An idle keep-alive connection holds a thread; close it after a minute of silence.
        timeout = 60

        def log_message(self, format, *args):  # one line per event is ours to write
            pass

        def reply(self, status: int, body: Optional[dict] = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def read_json(self):
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit() or int(length) > MAX_BODY:
                self.reply(400 if length is None or not length.isdigit() else 413,
                           {"error": "a JSON body with a Content-Length of at most 1 MiB is needed"})
                return None
            raw = self.rfile.read(int(length))
            try:
                body = json.loads(raw)
            except ValueError as e:
                self.reply(400, {"error": f"the body is not JSON: {e}"})
                return None
            if not isinstance(body, dict):
                self.reply(400, {"error": "the body must be a JSON object"})
                return None
            return body

        def do_GET(self):
            if self.path == "/health":
                return self.reply(200, {"status": "ok"})
            self.reply(404, {"error": f"no route GET {self.path}"})

        def do_POST(self):
            if self.path == "/api/calls":
                return self.notification()
            if self.path == "/api/outbound":
                return self.outbound(reminder=False)
            if self.path == "/api/reminder":
                return self.outbound(reminder=True)
            self.reply(404, {"error": f"no route POST {self.path}"})

        def notification(self):
            if bot.broken != "no-token-check":
                try:
                    bot.validator.validate(self.headers.get("Authorization"))
                except NotificationAuthError as e:
                    status = 403 if bot.broken == "refuses-with-403" else 401
                    log.warning("notification refused (%d): %s", status, e)
                    # Drain the body so the connection stays usable, but act on nothing in it.
                    length = self.headers.get("Content-Length")
                    if length and length.isdigit() and int(length) <= MAX_BODY:
                        self.rfile.read(int(length))
                    return self.reply(status, {"error": "invalid notification token"})
            body = self.read_json()
            if body is None:
                return
            # Acknowledge first: Graph wants an answer within seconds; the work comes after.
            deleted = any(isinstance(i, dict) and i.get("changeType") == "deleted"
                          for i in body.get("value") or [])
            self.reply(500 if deleted and bot.broken == "deleted-500" else 202)
            bot.submit(bot.ivr.handle(body))

        def outbound(self, reminder: bool):
            """The triggers: /api/outbound calls and greets; /api/reminder calls, plays the
            reminder and hangs up once it has finished."""
            body = self.read_json()
            if body is None:
                return
            user_id = body.get("userId")
            display_name = body.get("displayName")
            if not isinstance(user_id, str) or not user_id:
                return self.reply(400, {"error": 'the body needs "userId" (and may have "displayName")'})
            if display_name is not None and not isinstance(display_name, str):
                return self.reply(400, {"error": '"displayName" must be a string'})
            log.info("trigger: %s %s", "reminder for" if reminder else "call", display_name or user_id)
            future = bot.submit(bot.ivr.place_call(user_id, display_name, reminder))
            try:
                call_id = future.result(TRIGGER_TIMEOUT)
            except TimeoutError:
                future.cancel()
                log.error("trigger: Graph did not answer the create within %.0f s", TRIGGER_TIMEOUT)
                return self.reply(504, {"error": "Graph did not answer in time"})
            except Exception as e:
                log.error("trigger: creating the call failed: %s", describe(e))
                return self.reply(502, {"error": f"creating the call failed: {describe(e)}"})
            self.reply(202, {"callId": call_id})

    return Handler


def main() -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The SDKs' own loggers are chatty at INFO (and some would print request headers).
    for noisy in ("azure", "httpx", "httpcore", "msal", "kiota_http", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        bot = Bot()
        server = bot.start()
    except ConfigError as e:
        log.error("cannot start: %s", e)
        return 2
    except OSError as e:
        log.error("cannot start: %s", e)
        return 2
    log.info("listening on http://127.0.0.1:%d (webhook /api/calls, triggers /api/outbound and /api/reminder)%s",
             bot.port, f"; IVR_BROKEN={bot.broken}" if bot.broken else "")
    def stop(signum, _frame):
        log.info("stopping (%s)", signal.Signals(signum).name)
        # shutdown() waits for serve_forever to return, so not from the thread that runs it.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
