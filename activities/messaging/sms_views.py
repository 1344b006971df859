"""The SMS provider's callbacks: delivery receipts (状态报告) and replies (上行短信).

Public URLs (the provider has no log-in): /sms/<provider>/<token>/status/ and
/sms/<provider>/<token>/reply/. Neither Tencent nor Alibaba signs these posts, so what is
checked is what they do send: the secret token in the URL (REMINDER_SMS_CALLBACK_TOKEN,
set in the provider's console; compared in constant time), the provider configured for
this deployment, and, for each receipt, that its message id is one we sent to that same
number (replies.record_receipts). Anything else answers 404 and changes nothing. The
same post twice changes nothing the second time (replies.py). Each answers in the
provider's own format, so it stops re-sending.
"""

from __future__ import annotations

import datetime
import hmac
import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import replies, sms

MAX_ITEMS = 1000  # per post (Tencent and Alibaba batch up to a few hundred)


def _check(provider: str, token: str) -> None:
    expected = settings.REMINDER_SMS_CALLBACK_TOKEN
    backend = sms.provider()
    if (
        not expected
        or not hmac.compare_digest(token.encode(), expected.encode())
        or backend is None
        or backend.name != provider
    ):
        raise Http404


def _items(request) -> list[dict] | None:
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or len(data) > MAX_ITEMS:
        return None
    return [item for item in data if isinstance(item, dict)]


def _text(item: dict, name: str) -> str:
    value = item.get(name)
    return "" if value is None else str(value)[:500]


def _answer(provider: str, ok: bool) -> JsonResponse:
    if provider == "tencent":
        body = {"result": 0, "errmsg": "OK"} if ok else {"result": 1, "errmsg": "bad request"}
    else:
        body = {"code": 0, "msg": "成功"} if ok else {"code": 1, "msg": "格式错误"}
    return JsonResponse(body, status=200 if ok else 400, json_dumps_params={"ensure_ascii": False})


def _local(text: str) -> datetime.datetime | None:
    try:
        naive = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return timezone.make_aware(naive, timezone.get_default_timezone())


@csrf_exempt
@login_not_required
@require_POST
def sms_status(request, provider, token):
    _check(provider, token)
    items = _items(request)
    if items is None:
        return _answer(provider, False)
    if provider == "tencent":
        receipts = [
            sms.Receipt(
                _text(i, "sid"),
                _text(i, "mobile"),
                _text(i, "report_status") == "SUCCESS",
                " ".join(p for p in (_text(i, "errmsg"), _text(i, "description")) if p),
                _local(_text(i, "user_receive_time")),
            )
            for i in items
        ]
    else:
        receipts = [
            sms.Receipt(
                _text(i, "biz_id"),
                _text(i, "phone_number"),
                i.get("success") is True,
                " ".join(p for p in (_text(i, "err_code"), _text(i, "err_msg")) if p),
                _local(_text(i, "report_time")),
                _text(i, "out_id"),
            )
            for i in items
        ]
    replies.record_receipts(provider, receipts)
    return _answer(provider, True)


@csrf_exempt
@login_not_required
@require_POST
def sms_reply(request, provider, token):
    _check(provider, token)
    items = _items(request)
    if items is None:
        return _answer(provider, False)
    for item in items:
        if provider == "tencent":
            try:
                unix_time = int(_text(item, "time") or 0)
            except ValueError:
                unix_time = 0
            reply = sms.tencent_reply(_text(item, "mobile"), _text(item, "text"), unix_time)
        else:
            sequence = _text(item, "sequence_id")
            if not sequence:
                continue
            reply = sms.Reply(
                f"aliyun:{sequence}",
                _text(item, "phone_number"),
                _text(item, "content"),
                _local(_text(item, "send_time")) or timezone.now(),
            )
        if sms.national_number(reply.phone) and reply.text:
            replies.record_reply(provider, reply)
    return _answer(provider, True)
