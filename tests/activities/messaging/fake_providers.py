"""Local fake SMS providers on 127.0.0.1: Tencent Cloud SMS (API 2021-01-11) and Alibaba
Cloud SMS (API 2017-05-25), speaking the HTTP the official SDKs speak, and checking the
request signature as the real services do (TC3-HMAC-SHA256, ACS3-HMAC-SHA256) with the
test key: a wrong key is refused with the provider's own error.

Each keeps what it accepted (`sent`: one entry per accepted request, so a message sent
twice shows twice; `per_key()`: how many per idempotency key), counts the requests as
they arrive (`arrived`: also those a client gave up on) and can play faults:
`mode` "ok", "rate_limit" (the provider's rate-limit error), "slow" (answers after
`delay` seconds: a timeout), "template" (template not approved). It calls back like the
provider: `push_receipts(url)` posts the delivery receipts of what it accepted,
`push_reply(url, phone, text)` a member's reply (上行短信), in each provider's format.

Run as a process (`python -m tests.activities.messaging.fake_providers tencent PORT
FILE`) for the frozen-provider test (SIGSTOP): it appends what it accepts to FILE.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import itertools
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY_ID = "AKIDtestportal0001"
SECRET = "test-secret-key-for-the-fake-provider"
APP_ID = "1400000001"
_ids = itertools.count(1)


class FakeProvider:
    name = ""

    def __init__(self, *, secret: str = SECRET, record_file: str | None = None):
        self.secret = secret
        self.mode = "ok"
        self.delay = 0.0
        self.sent: list[dict] = []
        self.arrived = 0
        self.refused: list[str] = []
        self.replies: list[dict] = []  # what polling hands out (Tencent)
        self.lock = threading.Lock()
        self.record_file = record_file
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                with provider.lock:
                    provider.arrived += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = provider.handle(self, body)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def per_key(self) -> Counter:
        return Counter(m["key"] for m in self.sent)

    def _accept(self, message: dict) -> None:
        with self.lock:
            self.sent.append(message)
            if self.record_file:
                with open(self.record_file, "a") as out:
                    out.write(json.dumps(message, ensure_ascii=False) + "\n")

    def handle(self, request, body: bytes):
        raise NotImplementedError


# --- Tencent ------------------------------------------------------------------------------


def tc3_signature(secret: str, *, method, uri, query, content_type, host, body, timestamp):
    date = datetime.datetime.fromtimestamp(int(timestamp), datetime.UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            method,
            uri,
            query,
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def sign(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(("TC3" + secret).encode(), date), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class FakeTencent(FakeProvider):
    name = "tencent"

    def _error(self, code, message):
        return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "r"}}

    def handle(self, request, body):
        headers = request.headers
        auth = headers.get("Authorization", "")
        try:
            credential = auth.split("Credential=", 1)[1].split(",", 1)[0]
            key_id = credential.split("/", 1)[0]
            signature = auth.split("Signature=", 1)[1].strip()
        except IndexError:
            return self._error("AuthFailure.SignatureFailure", "no signature")
        expected = tc3_signature(
            self.secret,
            method="POST",
            uri=urllib.parse.urlsplit(request.path).path or "/",
            query="",
            content_type=headers.get("Content-Type", ""),
            host=headers.get("Host", ""),
            body=body,
            timestamp=headers.get("X-TC-Timestamp", "0"),
        )
        if key_id != KEY_ID or not hmac.compare_digest(signature, expected):
            self.refused.append("signature")
            return self._error(
                "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
            )
        params = json.loads(body or b"{}")
        action = headers.get("X-TC-Action", "")
        if action == "SendSms":
            if self.mode == "slow":
                time.sleep(self.delay)
            if self.mode == "rate_limit":
                return self._error("RequestLimitExceeded", "请求的次数超过了频率限制。")
            statuses = []
            for phone in params.get("PhoneNumberSet", []):
                if self.mode == "template":
                    statuses.append(
                        {
                            "Code": "FailedOperation.TemplateIncorrectOrUnapproved",
                            "Message": "template is not approved",
                            "PhoneNumber": phone,
                            "SerialNo": "",
                            "Fee": 0,
                            "SessionContext": "",
                        }
                    )
                    continue
                serial = f"2433:{next(_ids):012d}"
                self._accept(
                    {
                        "id": serial,
                        "phone": phone,
                        "key": params.get("SessionContext", ""),
                        "template": params.get("TemplateId"),
                        "sign": params.get("SignName"),
                        "params": params.get("TemplateParamSet", []),
                        "app": params.get("SmsSdkAppId"),
                    }
                )
                statuses.append(
                    {
                        "Code": "Ok",
                        "Message": "send success",
                        "PhoneNumber": phone,
                        "SerialNo": serial,
                        "Fee": 1,
                        "SessionContext": params.get("SessionContext", ""),
                        "IsoCode": "CN",
                    }
                )
            return 200, {"Response": {"SendStatusSet": statuses, "RequestId": "r"}}
        if action == "PullSmsSendStatus":
            with self.lock:
                sent = list(self.sent)
            return 200, {
                "Response": {
                    "PullSmsSendStatusSet": [
                        {
                            "UserReceiveTime": "2026-12-06 10:00:00",
                            "CountryCode": "86",
                            "SubscriberNumber": m["phone"][3:],
                            "PhoneNumber": m["phone"],
                            "SerialNo": m["id"],
                            "ReportStatus": "SUCCESS",
                            "Description": "DELIVRD",
                            "SessionContext": m["key"],
                        }
                        for m in sent
                    ],
                    "RequestId": "r",
                }
            }
        if action == "PullSmsSendStatusByPhoneNumber":
            with self.lock:
                sent = [m for m in self.sent if m["phone"] == params.get("PhoneNumber")]
            return 200, {
                "Response": {
                    "PullSmsSendStatusSet": [
                        {
                            "UserReceiveTime": "2026-12-06 10:00:00",
                            "CountryCode": "86",
                            "SubscriberNumber": m["phone"][3:],
                            "PhoneNumber": m["phone"],
                            "SerialNo": m["id"],
                            "ReportStatus": "SUCCESS",
                            "Description": "DELIVRD",
                            "SessionContext": m["key"],
                        }
                        for m in sent
                    ],
                    "RequestId": "r",
                }
            }
        if action == "PullSmsReplyStatus":
            with self.lock:
                replies, self.replies = self.replies, []
            return 200, {"Response": {"PullSmsReplyStatusSet": replies, "RequestId": "r"}}
        return self._error("InvalidAction", action)

    def receipts(self, *, failed: set[str] = frozenset()) -> list[dict]:
        return [
            {
                "user_receive_time": "2026-12-06 10:00:00",
                "nationcode": "86",
                "mobile": m["phone"][3:],
                "report_status": "FAIL" if m["phone"][3:] in failed else "SUCCESS",
                "errmsg": "MK:0005" if m["phone"][3:] in failed else "DELIVRD",
                "description": "用户手机关机" if m["phone"][3:] in failed else "用户短信送达成功",
                "sid": m["id"],
            }
            for m in self.sent
        ]

    def reply(self, phone: str, text: str, unix_time: int | None = None) -> dict:
        return {
            "extend": "",
            "mobile": phone,
            "nationcode": "86",
            "sign": "测试签名",
            "text": text,
            "time": unix_time or int(time.time()),
        }

    def queue_reply(self, phone: str, text: str) -> None:
        now = int(time.time())
        self.replies.append(
            {
                "ExtendCode": "",
                "CountryCode": "86",
                "SubscriberNumber": phone,
                "PhoneNumber": f"+86{phone}",
                "SignName": "测试签名",
                "ReplyContent": text,
                "ReplyTime": "2026-12-06 10:00:00",
                "ReplyUnixTime": now,
            }
        )


# --- Alibaba ------------------------------------------------------------------------------


def acs3_signature(secret: str, *, method, path, query, headers, signed, body_hash):
    canonical_query = "&".join(f"{k}={urllib.parse.quote(v, safe='~')}" for k, v in sorted(query))
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    canonical = "\n".join(
        [method, path, canonical_query, canonical_headers, ";".join(signed), body_hash]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


class FakeAliyun(FakeProvider):
    name = "aliyun"

    def handle(self, request, body):
        headers = request.headers
        parts = urllib.parse.urlsplit(request.path)
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        auth = headers.get("Authorization", "")
        try:
            key_id = auth.split("Credential=", 1)[1].split(",", 1)[0]
            signed = auth.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
            signature = auth.split("Signature=", 1)[1].strip()
        except IndexError:
            return 400, {"Code": "IncompleteSignature", "Message": "no signature"}
        body_hash = headers.get("x-acs-content-sha256", "")
        if body_hash != hashlib.sha256(body).hexdigest():
            return 400, {"Code": "ContentSHA256NotMatched", "Message": "body changed"}
        lowered = {k.lower(): v for k, v in headers.items()}
        expected = acs3_signature(
            self.secret,
            method="POST",
            path=parts.path or "/",
            query=query,
            headers=lowered,
            signed=signed,
            body_hash=body_hash,
        )
        if key_id != KEY_ID or not hmac.compare_digest(signature, expected):
            self.refused.append("signature")
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature does not match our calculation.",
            }
        params = dict(query)
        action = headers.get("x-acs-action", "")
        if action == "SendSms":
            if self.mode == "slow":
                time.sleep(self.delay)
            if self.mode == "rate_limit":
                return 200, {
                    "Code": "isv.BUSINESS_LIMIT_CONTROL",
                    "Message": "触发分钟级流控Permits:1",
                    "RequestId": "r",
                }
            if self.mode == "template":
                return 200, {
                    "Code": "isv.SMS_TEMPLATE_ILLEGAL",
                    "Message": "该账号下找不到对应模板",
                    "RequestId": "r",
                }
            biz_id = f"{next(_ids):06d}^0"
            self._accept(
                {
                    "id": biz_id,
                    "phone": params.get("PhoneNumbers", ""),
                    "key": params.get("OutId", ""),
                    "template": params.get("TemplateCode"),
                    "sign": params.get("SignName"),
                    "params": json.loads(params.get("TemplateParam") or "{}"),
                }
            )
            return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "r"}
        if action == "QuerySendDetails":
            found = [
                m
                for m in self.sent
                if m["phone"] == params.get("PhoneNumber")
                and params.get("BizId") in (None, m["id"])
            ]
            return 200, {
                "Code": "OK",
                "Message": "OK",
                "RequestId": "r",
                "TotalCount": len(found),
                "SmsSendDetailDTOs": {
                    "SmsSendDetailDTO": [
                        {
                            "PhoneNum": m["phone"],
                            "SendStatus": 3,
                            "ErrCode": "DELIVERED",
                            "TemplateCode": m["template"],
                            "Content": "",
                            "SendDate": "2026-12-06 10:00:00",
                            "ReceiveDate": "2026-12-06 10:00:05",
                            "OutId": m["key"],
                        }
                        for m in found
                    ]
                },
            }
        return 400, {"Code": "InvalidAction.NotFound", "Message": action}

    def receipts(self, *, failed: set[str] = frozenset()) -> list[dict]:
        return [
            {
                "phone_number": m["phone"],
                "send_time": "2026-12-06 10:00:00",
                "report_time": "2026-12-06 10:00:05",
                "success": m["phone"] not in failed,
                "err_code": "MK:0005" if m["phone"] in failed else "DELIVERED",
                "err_msg": "用户手机关机" if m["phone"] in failed else "用户接收成功",
                "sms_size": "1",
                "biz_id": m["id"],
                "out_id": m["key"],
            }
            for m in self.sent
        ]

    def reply(self, phone: str, text: str, unix_time: int | None = None) -> dict:
        return {
            "phone_number": phone,
            "send_time": "2026-12-06 10:00:00",
            "content": text,
            "sign_name": "测试签名",
            "dest_code": "1234",
            "sequence_id": next(_ids),
        }


def post_json(url: str, data) -> tuple[int, dict]:
    """What the provider does to call back: a JSON POST (bounded timeout)."""
    body = json.dumps(data, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310  (a loopback test URL)
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def main(argv: list[str]) -> None:
    kind, port, record = argv[1], int(argv[2]), argv[3]
    fake = (FakeTencent if kind == "tencent" else FakeAliyun)(record_file=record)
    fake.server.server_close()
    fake.server = ThreadingHTTPServer(("127.0.0.1", port), fake.server.RequestHandlerClass)
    fake.server.daemon_threads = True
    print("ready", flush=True)
    fake.server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)


# --- WeCom application messages -----------------------------------------------------------

CORP_ID = "wwtestcorp0001"
AGENT_ID = "1000002"
WECOM_SECRET = "wecom-app-secret-for-tests"


class FakeWeCom:
    """WeCom's gettoken and message/send: the secret checked, tokens that expire
    (`expire_tokens()`), known users only (others come back in `invaliduser`), and its
    duplicate check (same content to the same user within the interval: taken once)."""

    def __init__(self, users=("zhangsan",)):
        self.users = set(users)
        self.tokens: set[str] = set()
        self.received: list[dict] = []  # every accepted send
        self.shown: list[dict] = []  # what reached a person (after the duplicate check)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, data):
                body = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                if parts.path != "/cgi-bin/gettoken":
                    return self._answer({"errcode": 404, "errmsg": "not found"})
                if query.get("corpid") != CORP_ID or query.get("corpsecret") != WECOM_SECRET:
                    return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                token = f"tok{next(_ids)}"
                fake.tokens.add(token)
                return self._answer(
                    {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
                )

            def do_POST(self):
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                if query.get("access_token") not in fake.tokens:
                    return self._answer({"errcode": 42001, "errmsg": "access_token expired"})
                if str(body.get("agentid")) != AGENT_ID:
                    return self._answer(
                        {"errcode": 301002, "errmsg": "not allow operate another agent"}
                    )
                if body.get("touser") not in fake.users:
                    return self._answer(
                        {"errcode": 0, "errmsg": "ok", "invaliduser": body.get("touser")}
                    )
                with fake.lock:
                    fake.received.append(body)
                    seen = any(
                        m["touser"] == body["touser"] and m["markdown"] == body["markdown"]
                        for m in fake.shown
                    )
                    if not (seen and body.get("enable_duplicate_check")):
                        fake.shown.append(body)
                return self._answer({"errcode": 0, "errmsg": "ok", "msgid": f"m{next(_ids)}"})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def expire_tokens(self):
        self.tokens.clear()
