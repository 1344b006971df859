"""How a reminder leaves the portal: e-mail over SMTP, a group-chat robot's webhook, an SMS.

(The fourth channel, the in-app inbox, is the Reminder row itself.)

Every send takes an idempotency `key`, fixed per reminder and channel, so a retry after
a crash carries the same key as the lost attempt:
- e-mail: the key is the Message-ID (`<key@REMINDER_MESSAGE_ID_DOMAIN>`); a mailbox that
  keys on Message-ID shows a resent copy once;
- webhook: the key is the `X-Idempotency-Key` header (and `key` in a generic JSON body);
- SMS: the key goes to the backend (vendors call it an out-id / biz-id).

A failure raises DeliveryError; `permanent=True` means retrying cannot help (refused
address, a robot that rejects the signature, a URL outside the allowed list), and the
reminder ends FAILED with the reason at once. Anything else is retried with backoff.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import ClassVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from members.masking import mask_phone

from .models import WebhookFlavour

logger = logging.getLogger("portal.reminders")


class DeliveryError(Exception):
    # The reason is shown to district staff (failed reminders): written in the language
    # active when sending, Chinese in the workers.
    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason[:480]
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    """One outbound message in every form a channel needs."""

    subject: str
    text: str
    html: str = ""
    markdown: str = ""
    short: str = ""  # for SMS: a sentence or two
    data: dict = field(default_factory=dict)  # the generic webhook's structured body
    kind: str = ""  # the reminder kind: an SMS provider sends its approved template
    sms_params: dict = field(default_factory=dict)  # that template's parameters


# --- E-mail -------------------------------------------------------------------------------


def message_id(key: str) -> str:
    return f"<{key}@{settings.REMINDER_MESSAGE_ID_DOMAIN}>"


def _mailer():
    alias = settings.REMINDER_MAILER
    return mailers.get(alias) or mailers.default


def send_email(*, to: str, message: Message, key: str) -> None:
    """Text and HTML parts, a Chinese subject (encoded by Django), Message-ID = the key."""
    if not to:
        raise DeliveryError(_("no e-mail address"), permanent=True)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id(key), "X-Portal-Key": key},
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    try:
        _mailer().send_messages([email])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        permanent = all(500 <= code < 600 for code in codes)
        raise DeliveryError(
            _("address refused (%(codes)s): %(to)s")
            % {"codes": ", ".join(map(str, codes)), "to": to},
            permanent=permanent,
        ) from error
    except smtplib.SMTPResponseException as error:
        # 5xx: the server will not take it (again); 4xx: try later.
        text = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        raise DeliveryError(
            _("mail server answered %(code)s: %(text)s") % {"code": error.smtp_code, "text": text},
            permanent=500 <= error.smtp_code < 600,
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(_("mail server unreachable: %(error)s") % {"error": error}) from error


# --- Group-chat robot webhooks ------------------------------------------------------------


def webhook_allowed(url: str) -> bool:
    """Only http(s) URLs starting with one of REMINDER_WEBHOOK_ALLOWED_PREFIXES: the
    portal never posts to an address a user made up (no requests to internal hosts)."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.username:
        return False
    return any(url.startswith(prefix) for prefix in settings.REMINDER_WEBHOOK_ALLOWED_PREFIXES)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret"))."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu: base64(HMAC-SHA256(key="timestamp\\nsecret", msg=""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def generic_sign(secret: str, timestamp_s: int, body: bytes) -> str:
    """Others: hex HMAC-SHA256(key=secret, msg="timestamp." + body)."""
    return hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()


def webhook_request(
    *, url: str, secret: str, flavour: str, message: Message, key: str, now: float | None = None
) -> tuple[str, bytes, dict]:
    """The URL, JSON body and headers to POST, signed as the robot expects."""
    now = time.time() if now is None else now
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Idempotency-Key": key}
    if flavour == WebhookFlavour.WECOM:
        # WeCom robots are not signed: the key in the URL is the credential.
        payload = {"msgtype": "markdown", "markdown": {"content": message.markdown}}
    elif flavour == WebhookFlavour.DINGTALK:
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": message.subject, "text": message.markdown},
        }
        if secret:
            ts = int(now * 1000)
            query = urllib.parse.urlencode({"timestamp": ts, "sign": dingtalk_sign(secret, ts)})
            url = f"{url}{'&' if '?' in url else '?'}{query}"
    elif flavour == WebhookFlavour.FEISHU:
        payload = {"msg_type": "text", "content": {"text": message.text}}
        if secret:
            ts = int(now)
            payload |= {"timestamp": str(ts), "sign": feishu_sign(secret, ts)}
    else:
        payload = {"key": key, "title": message.subject, "text": message.text, **message.data}
    body = json.dumps(payload, ensure_ascii=False).encode()
    if flavour == WebhookFlavour.GENERIC and secret:
        ts = int(now)
        headers["X-Portal-Timestamp"] = str(ts)
        headers["X-Portal-Signature"] = "sha256=" + generic_sign(secret, ts, body)
    return url, body, headers


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an error: it could lead anywhere


# Robot error codes that mean "too many messages, later" (WeCom 45009, DingTalk 130101).
RATE_LIMITED = {45009, 130101, 9499}


def send_webhook(*, url: str, secret: str, flavour: str, message: Message, key: str) -> None:
    if not webhook_allowed(url):
        raise DeliveryError(_("the robot address is not on the allowed list"), permanent=True)
    target, body, headers = webhook_request(
        url=url, secret=secret, flavour=flavour, message=message, key=key
    )
    # http(s) only, on the allowed list (webhook_allowed above).
    request = urllib.request.Request(target, data=body, headers=headers, method="POST")  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=settings.REMINDER_WEBHOOK_TIMEOUT) as response:
            status, answer = response.status, response.read(65536)
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read(4096)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryError(_("robot unreachable: %(error)s") % {"error": error}) from error
    if status in (408, 429) or status >= 500:
        raise DeliveryError(_("robot answered status %(status)s") % {"status": status})
    if not 200 <= status < 300:
        raise DeliveryError(
            _("robot refused the message: status %(status)s") % {"status": status}, permanent=True
        )
    if flavour == WebhookFlavour.GENERIC:
        return
    try:
        reply = json.loads(answer or b"{}")
    except ValueError:
        reply = {}
    code = reply.get("errcode", reply.get("code", 0)) if isinstance(reply, dict) else 0
    if code:
        text = reply.get("errmsg") or reply.get("msg") or ""
        raise DeliveryError(
            _("robot error %(code)s: %(text)s") % {"code": code, "text": text},
            permanent=code not in RATE_LIMITED,
        )


# --- WeCom application messages (企业微信应用消息) to one person -----------------------------
# The corporation's application (REMINDER_WECOM_CORP_ID, _AGENT_ID, _SECRET) sends to a
# member of staff by their UserID. An access token (2 h) is fetched with the secret and
# kept in the cache; WeCom's own duplicate check (same content to the same person within
# 30 minutes) makes a retry after a lost answer show once.

WECOM_TOKEN_EXPIRED = {40014, 42001, 41001}
WECOM_LATER = {45009, 45033, -1}  # too many messages; system busy
WECOM_SETTINGS = {40001, 40013, 40056, 301002, 60020}  # secret, corp, agent, IP not allowed


def _wecom_get(path: str, params: dict) -> dict:
    url = f"{settings.REMINDER_WECOM_API}{path}?{urllib.parse.urlencode(params)}"
    return _wecom_call(urllib.request.Request(url, method="GET"))  # noqa: S310


def _wecom_call(request) -> dict:
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=settings.REMINDER_WEBHOOK_TIMEOUT) as response:
            answer = response.read(65536)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryError(_("WeCom unreachable: %(error)s") % {"error": error}) from error
    try:
        data = json.loads(answer or b"{}")
    except ValueError as error:
        raise DeliveryError(_("WeCom answered something unreadable")) from error
    return data if isinstance(data, dict) else {}


def _wecom_error(data: dict) -> DeliveryError:
    code = data.get("errcode")
    return DeliveryError(
        _("WeCom error %(code)s: %(text)s") % {"code": code, "text": data.get("errmsg", "")},
        permanent=code not in WECOM_LATER,
    )


def _wecom_token(*, fresh: bool = False) -> str:
    from django.core.cache import cache

    key = f"wecom-token:{settings.REMINDER_WECOM_CORP_ID}:{settings.REMINDER_WECOM_AGENT_ID}"
    if not fresh:
        try:
            token = cache.get(key)
        except Exception:  # no cache: ask WeCom each time
            token = None
        if token:
            return token
    data = _wecom_get(
        "/cgi-bin/gettoken",
        {"corpid": settings.REMINDER_WECOM_CORP_ID, "corpsecret": settings.REMINDER_WECOM_SECRET},
    )
    if data.get("errcode") or not data.get("access_token"):
        raise _wecom_error(data)
    with contextlib.suppress(Exception):  # the token works uncached
        cache.set(key, data["access_token"], max(60, int(data.get("expires_in", 7200)) - 300))
    return data["access_token"]


def send_wecom(*, userid: str, message: Message, key: str) -> None:
    if not settings.REMINDER_WECOM_AGENT_ID:
        raise DeliveryError(_("WeCom messages are not set up on this portal"), permanent=True)
    if not userid:
        raise DeliveryError(_("no WeCom account"), permanent=True)
    body = json.dumps(
        {
            "touser": userid,
            "msgtype": "markdown",
            "agentid": int(settings.REMINDER_WECOM_AGENT_ID),
            "markdown": {"content": message.markdown or message.text},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800,
        },
        ensure_ascii=False,
    ).encode()
    for fresh in (False, True):  # an expired token: fetched anew once
        url = f"{settings.REMINDER_WECOM_API}/cgi-bin/message/send?" + urllib.parse.urlencode(
            {"access_token": _wecom_token(fresh=fresh)}
        )
        request = urllib.request.Request(  # noqa: S310  (the deployment's WeCom address)
            url,
            data=body,
            headers={"Content-Type": "application/json", "X-Idempotency-Key": key},
            method="POST",
        )
        data = _wecom_call(request)
        if data.get("errcode") not in WECOM_TOKEN_EXPIRED:
            break
    if data.get("errcode"):
        raise _wecom_error(data)
    if data.get("invaliduser"):
        raise DeliveryError(
            _("WeCom does not know the account %(user)s") % {"user": userid}, permanent=True
        )


# --- SMS ----------------------------------------------------------------------------------


class SmsBackend:
    """Adapter interface: a backend sends to `phone`, passing `key` as the vendor's
    idempotency id, and raises DeliveryError (permanent for a refused number). Providers
    send the approved template of `kind` filled with `params` (activities/messaging/sms.py);
    the logging backend writes `text`. Returns the provider's id for the message ("" if
    none). Choose one with settings.REMINDER_SMS_BACKEND."""

    name = "log"

    def send(
        self, *, phone: str, text: str, key: str, kind: str = "", params=None, again=False
    ) -> str:
        raise NotImplementedError


class LoggingSmsBackend(SmsBackend):
    """Writes each message to the log instead of sending it (the default until a vendor
    is configured). Like a vendor that honours the key, it records a key once; `outbox`
    keeps what was recorded in this process."""

    outbox: ClassVar[list[dict]] = []

    def send(
        self, *, phone: str, text: str, key: str, kind: str = "", params=None, again=False
    ) -> str:
        if not phone:
            raise DeliveryError(_("no mobile number"), permanent=True)
        if any(sent["key"] == key for sent in self.outbox):
            return ""
        self.outbox.append({"phone": phone, "text": text, "key": key})
        logger.info("SMS to %s (key %s): %s", mask_phone(phone), key, text)
        return ""


def sms_backend() -> SmsBackend:
    return import_string(settings.REMINDER_SMS_BACKEND)()


def send_sms(*, phone: str, message: Message, key: str, again: bool = False) -> str:
    """Send; the provider's id for the message. `again`: an earlier try with this key
    has an unknown outcome (a provider is asked first whether it took it)."""
    extra = {"again": True} if again else {}
    sent = sms_backend().send(
        phone=phone,
        text=message.short or message.text,
        key=key,
        kind=message.kind,
        params=message.sms_params,
        **extra,
    )
    return sent or ""
