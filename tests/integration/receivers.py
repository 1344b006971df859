"""Loopback receivers for the reminder channels: a real SMTP server (aiosmtpd) and an
HTTP server standing in for WeCom/DingTalk/Feishu robots. Both record every message they
get *and* the deliveries per idempotency key (Message-ID, X-Idempotency-Key), the way a
mailbox or a robot that honours the key would: "exactly once" is "at most one delivery
recorded per key, none lost"."""

from __future__ import annotations

import asyncio
import base64
import email
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from collections import Counter
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ClosingListener:
    """A loopback port that accepts every connection and closes it at once: a service
    that is down in a way a test can count. `accepted` is the number of connection
    attempts a client made (a closed port refuses them without a trace). Each is counted
    before it is closed, so once the client has failed, its attempt is in the count."""

    def __init__(self, port: int = 0):
        self.accepted = 0
        self._socket = socket.create_server(("127.0.0.1", port))
        self._socket.settimeout(0.1)  # how soon the loop sees `_stopped`
        self.port = self._socket.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self._stopped.is_set():  # until the `with` block ends
            try:
                accepted, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            accepted.close()

    def __enter__(self) -> ClosingListener:
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stopped.set()
        self._thread.join(5)
        self._socket.close()


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1. `slow_stage` ("rcpt" or "data") makes the first message
    wait there (`stalled` is set when it does) until `release` is set or the client goes
    away; "data" records the message *before* the wait (the worst case: the server has
    it, the client never hears the 250)."""

    def __init__(self):
        self.raw: list[email.message.EmailMessage] = []
        self.by_key: Counter[str] = Counter()
        self.refuse_rcpt: str | None = None  # e.g. "550 5.1.1 no such user"
        self.slow_stage: str | None = None
        self.stalled = threading.Event()
        self.release = threading.Event()
        self._slowed = False
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        await self._maybe_stall("rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email_policy)
        if self.slow_stage == "data" and not self._slowed:
            self._record(message)
            await self._maybe_stall("data")
            return "250 OK"
        self._record(message)
        return "250 OK"

    def _record(self, message):
        self.raw.append(message)
        self.by_key[message["Message-ID"]] += 1

    async def _maybe_stall(self, stage):
        if self.slow_stage == stage and not self._slowed:
            self._slowed = True
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)

    @property
    def mailbox(self) -> dict[str, email.message.EmailMessage]:
        """One message per Message-ID: what a mailbox keyed on it shows."""
        box = {}
        for message in self.raw:
            box.setdefault(message["Message-ID"], message)
        return box

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.release.set()
        self.controller.stop()


class WebhookReceiver:
    """A robot endpoint on 127.0.0.1: /wecom, /dingtalk (checks timestamp+sign),
    /feishu, /generic (checks X-Portal-Signature). Records each POST and dedupes by
    X-Idempotency-Key. `answer` overrides the reply: (status, json body)."""

    def __init__(self, secret="robot-secret"):  # noqa: S107 (a test robot's secret)
        self.secret = secret
        self.raw: list[dict] = []
        self.by_key: Counter[str] = Counter()
        self.bad_signatures = 0
        self.answer: tuple[int, dict] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                parts = urllib.parse.urlsplit(self.path)
                ok = receiver._verify(parts, body, self.headers)
                payload = json.loads(body)
                receiver.raw.append(
                    {"path": parts.path, "json": payload, "headers": dict(self.headers)}
                )
                key = self.headers.get("X-Idempotency-Key", "")
                if ok and receiver.by_key[key] == 0:
                    receiver.by_key[key] += 1
                status, reply = receiver.answer or (200, {"errcode": 0, "errmsg": "ok"})
                if not ok:
                    status, reply = 200, {"errcode": 310000, "errmsg": "sign not match"}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def _verify(self, parts, body, headers) -> bool:
        now = time.time()
        if parts.path == "/dingtalk":
            query = urllib.parse.parse_qs(parts.query)
            ts = int(query["timestamp"][0])
            expected = base64.b64encode(
                hmac.new(
                    self.secret.encode(), f"{ts}\n{self.secret}".encode(), hashlib.sha256
                ).digest()
            ).decode()
            good = hmac.compare_digest(query["sign"][0], expected) and abs(now - ts / 1000) < 3600
        elif parts.path == "/generic":
            ts = headers.get("X-Portal-Timestamp", "0")
            expected = (
                "sha256="
                + hmac.new(
                    self.secret.encode(), f"{ts}.".encode() + body, hashlib.sha256
                ).hexdigest()
            )
            good = hmac.compare_digest(headers.get("X-Portal-Signature", ""), expected)
        else:
            good = True
        if not good:
            self.bad_signatures += 1
        return good

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
