"""SMS through a provider: Tencent Cloud SMS or Alibaba Cloud SMS, by their official SDKs.

`REMINDER_SMS_BACKEND` picks one (`...sms.TencentSmsBackend`, `...sms.AliyunSmsBackend`;
the default logs instead of sending). Providers send approved templates (短信模板) only,
never free text: each outbound kind has a template code (`REMINDER_SMS_TEMPLATES`) and
sends the parameters named in TEMPLATE_PARAMS, in that order (Tencent's {1}, {2}...) or
by name (Alibaba's ${branch}...), under the approved signature (签名,
`REMINDER_SMS_SIGN_NAME`). A kind without a template is refused at start-up (the system
check in activities/checks.py) and, should one slip through, fails with "fix the
template" rather than sending something else.

Every call has bounded timeouts (`REMINDER_SMS_TIMEOUT`) and no SDK retries: the sender
(sender.py) retries with the same key, which goes to the provider as its session
context / out-id and comes back in its receipts. A frozen provider costs one timeout.

Errors are mapped to what a person can do: try again later (rate limits, the provider's
own trouble), give up (an empty or unknown number, the number's daily limit), fix the
template or signature, fix the account settings. The reason is written in Chinese and
shown on the failed-reminders page; phone numbers in it are masked.

Limits (`REMINDER_SMS_PER_NUMBER_PER_DAY`, `REMINDER_SMS_PER_DAY`) are counted in the
shared cache (accounts.counters.bump) before each send.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.counters import bump
from accounts.crypto import keyed_hash
from members.masking import mask_phone

from .channels import DeliveryError, SmsBackend
from .models import ReminderKind

logger = logging.getLogger("portal.reminders")

# The parameters each kind's template receives, in order. The approved template uses
# them in this order (Tencent: {1}..{n}) or by these names (Alibaba: ${name}...).
TEMPLATE_PARAMS: dict[str, tuple[str, ...]] = {
    # 【签名】{name}同志：{branch}定于{day}{time}在{place}召开{kind}，请准时参加。
    # 回复1确认参加，回复2请假（可附原因）。
    ReminderKind.MEETING_NOTICE: ("name", "branch", "day", "time", "place", "kind"),
    # 【签名】{name}同志：请于本周探访{member}（应于{day}前探访）。
    ReminderKind.CARE_NOTICE: ("name", "member", "day"),
    # 【签名】{name}：{title}，{summary}，详情请登录平台查看。
    ReminderKind.DIGEST: ("name", "title", "summary"),
}
PARAM_MAX = 20  # characters per parameter (providers cap them; longer ones are cut)


class Outcome(TextChoices):
    RETRY = "retry", gettext_lazy("will try again later")
    GIVE_UP = "give_up", gettext_lazy("given up")
    FIX_TEMPLATE = "fix_template", gettext_lazy("the template or signature needs fixing")
    FIX_SETTINGS = "fix_settings", gettext_lazy("the SMS account settings need fixing")


# Provider error codes -> what to do. Codes not listed: Tencent's InternalError* and
# unknown ones are retried (bounded by REMINDER_MAX_ATTEMPTS); the others below.
ERRORS: dict[str, Outcome] = {
    # Tencent Cloud SMS (SendStatus.Code or the API error code)
    "LimitExceeded.PhoneNumberThirtySecondLimit": Outcome.RETRY,
    "LimitExceeded.PhoneNumberOneHourLimit": Outcome.RETRY,
    "LimitExceeded.DeliveryFrequencyLimit": Outcome.RETRY,
    "RequestLimitExceeded": Outcome.RETRY,
    "LimitExceeded.PhoneNumberDailyLimit": Outcome.GIVE_UP,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": Outcome.GIVE_UP,
    "InvalidParameterValue.IncorrectPhoneNumber": Outcome.GIVE_UP,
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": Outcome.FIX_SETTINGS,
    "FailedOperation.InsufficientBalanceInSmsPackage": Outcome.FIX_SETTINGS,
    "AuthFailure.SignatureFailure": Outcome.FIX_SETTINGS,
    "AuthFailure.SecretIdNotFound": Outcome.FIX_SETTINGS,
    "FailedOperation.TemplateIncorrectOrUnapproved": Outcome.FIX_TEMPLATE,
    "FailedOperation.SignatureIncorrectOrUnapproved": Outcome.FIX_TEMPLATE,
    "InvalidParameterValue.TemplateParameterFormatError": Outcome.FIX_TEMPLATE,
    "InvalidParameterValue.TemplateParameterLengthLimit": Outcome.FIX_TEMPLATE,
    "FailedOperation.ContainSensitiveWord": Outcome.FIX_TEMPLATE,
    # Alibaba Cloud SMS (the body's Code, or the gateway's error code)
    "isv.BUSINESS_LIMIT_CONTROL": Outcome.RETRY,
    "Throttling.User": Outcome.RETRY,
    "isp.SYSTEM_ERROR": Outcome.RETRY,
    "isv.DAY_LIMIT_CONTROL": Outcome.GIVE_UP,
    "isv.MOBILE_NUMBER_ILLEGAL": Outcome.GIVE_UP,
    "isv.BLACK_KEY_CONTROL_LIMIT": Outcome.FIX_TEMPLATE,
    "isv.SMS_TEMPLATE_ILLEGAL": Outcome.FIX_TEMPLATE,
    "isv.SMS_SIGNATURE_ILLEGAL": Outcome.FIX_TEMPLATE,
    "isv.TEMPLATE_MISSING_PARAMETERS": Outcome.FIX_TEMPLATE,
    "isv.INVALID_JSON_PARAM": Outcome.FIX_TEMPLATE,
    "isv.PARAM_LENGTH_LIMIT": Outcome.FIX_TEMPLATE,
    "isv.AMOUNT_NOT_ENOUGH": Outcome.FIX_SETTINGS,
    "isv.ACCOUNT_ABNORMAL": Outcome.FIX_SETTINGS,
    "SignatureDoesNotMatch": Outcome.FIX_SETTINGS,
    "InvalidAccessKeyId.NotFound": Outcome.FIX_SETTINGS,
}
_RETRY_PREFIXES = ("InternalError", "ClientNetworkError", "ServerNetworkError", "isp.")


def outcome_of(code: str) -> Outcome:
    if code in ERRORS:
        return ERRORS[code]
    if code.startswith(_RETRY_PREFIXES) or not code:
        return Outcome.RETRY
    return Outcome.GIVE_UP


_NUMBERS = re.compile(r"(?<!\d)(?:\+?86)?(1\d{10})(?!\d)")


def mask_numbers(text: str) -> str:
    """Mobile numbers inside a provider's message, masked (138****5678)."""
    return _NUMBERS.sub(lambda m: mask_phone(m.group(1)), text or "")


def provider_error(provider: str, code: str, message: str = "") -> DeliveryError:
    outcome = outcome_of(code)
    reason = _("%(provider)s: %(outcome)s (%(code)s) %(message)s") % {
        "provider": PROVIDER_NAMES.get(provider, provider),
        "outcome": outcome.label,
        "code": code,
        "message": mask_numbers(message)[:200],
    }
    return DeliveryError(reason.strip(), permanent=outcome != Outcome.RETRY)


# --- Numbers ------------------------------------------------------------------------------


def national_number(phone: str) -> str:
    """The 11-digit mainland number, without +86 / 0086 / spaces."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def phone_hash(phone: str) -> str:
    """The keyed hash a reply is matched on (the number itself stays encrypted)."""
    return keyed_hash(national_number(phone))


# --- Templates ----------------------------------------------------------------------------


def template_for(kind: str) -> str:
    return (settings.REMINDER_SMS_TEMPLATES or {}).get(kind, "")


def missing_templates() -> list[str]:
    """The outbound kinds a real provider could not send (no template code)."""
    return [kind for kind in TEMPLATE_PARAMS if not template_for(kind)]


def template_values(kind: str, params: dict) -> list[str]:
    return [str(params.get(name, ""))[:PARAM_MAX] for name in TEMPLATE_PARAMS[kind]]


# --- Limits -------------------------------------------------------------------------------


def _limit_keys(number: str) -> tuple[str, str]:
    day = timezone.localdate().isoformat()
    return f"sms:number:{phone_hash(number)[:24]}:{day}", f"sms:day:{day}"


def _check_limits(number: str) -> None:
    """Before a send: refuse over the limits. Only messages the provider took count
    (`_count` after the send), so a rate-limited try does not use up a number's day."""
    per_number_key, per_day_key = _limit_keys(number)
    try:
        counts = cache.get_many([per_number_key, per_day_key])
    except Exception as error:  # a frozen or absent cache must not hang or kill the sender
        raise DeliveryError(
            _("the SMS counter is unavailable: %(error)s") % {"error": error}
        ) from error
    per_number = counts.get(per_number_key, 0)
    if per_number >= settings.REMINDER_SMS_PER_NUMBER_PER_DAY:
        raise DeliveryError(
            _("%(phone)s has had %(n)d text messages today: over the daily limit")
            % {"phone": mask_phone(number), "n": per_number},
            permanent=True,
        )
    if counts.get(per_day_key, 0) >= settings.REMINDER_SMS_PER_DAY:
        raise DeliveryError(_("today's limit of text messages is reached: sent tomorrow"))


def _count(number: str) -> None:
    try:
        for key in _limit_keys(number):
            bump(key, 86400)
    except Exception:  # counted or not, the message is sent: never fail it afterwards
        logger.warning("SMS counter unavailable: %s not counted", mask_phone(number))


# --- The providers ------------------------------------------------------------------------

PROVIDER_NAMES = {"tencent": "腾讯云短信", "aliyun": "阿里云短信"}


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    phone: str
    delivered: bool
    reason: str
    at: datetime.datetime | None = None
    key: str = ""  # our key, where the receipt carries it (Alibaba's out_id)


@dataclass(frozen=True)
class Reply:
    key: str
    phone: str
    text: str
    at: datetime.datetime


class ProviderBackend(SmsBackend):
    """The part both providers share: the checks before a send."""

    name = ""

    def send(self, *, phone, text, key, kind="", params=None, again=False) -> str:
        number = national_number(phone)
        if len(number) != 11:
            raise DeliveryError(_("no mobile number"), permanent=True)
        template = template_for(kind)
        if not template or kind not in TEMPLATE_PARAMS:
            raise DeliveryError(
                _("no approved SMS template for %(kind)s: the template needs fixing")
                % {"kind": ReminderKind(kind).label if kind in ReminderKind.values else kind},
                permanent=True,
            )
        if again:
            # An earlier try's outcome is unknown (a timeout, a worker that died): the
            # provider may have taken it. Providers do not dedupe on our key, so ask.
            found = self.find(number=number, key=key)
            if found:
                logger.info("SMS %s was taken on an earlier try: not sent again", key)
                return found
        _check_limits(number)
        provider_id = self.send_template(
            number=number, template=template, kind=kind, params=params or {}, key=key
        )
        _count(number)
        return provider_id

    def send_template(self, *, number, template, kind, params, key) -> str:
        raise NotImplementedError

    def find(self, *, number: str, key: str) -> str:
        """The provider's id of a message sent with `key` to `number` in the last two
        days, or "" (not found: send)."""
        raise NotImplementedError

    def pull(self) -> tuple[list[Receipt], list[Reply]]:
        """Receipts and replies the provider holds (polling, where callbacks cannot
        reach the portal)."""
        raise NotImplementedError


def _seconds() -> int:
    return settings.REMINDER_SMS_TIMEOUT


def _local(text: str) -> datetime.datetime | None:
    try:
        naive = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None
    return timezone.make_aware(naive, timezone.get_default_timezone())


@functools.lru_cache(maxsize=4)
def _tencent_client(endpoint, plain_http, key_id, secret, region, timeout):
    """One SDK client per configuration and process (building one costs more than a send)."""
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import sms_client

    http = HttpProfile(
        endpoint=endpoint or "sms.tencentcloudapi.com",
        protocol="http" if plain_http else "https",
        reqTimeout=timeout,
    )
    return sms_client.SmsClient(
        credential.Credential(key_id, secret),
        region or "ap-guangzhou",
        ClientProfile(httpProfile=http),
    )


@functools.lru_cache(maxsize=4)
def _aliyun_client(endpoint, plain_http, key_id, secret, timeout):
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import models as open_api_models

    return Client(
        open_api_models.Config(
            access_key_id=key_id,
            access_key_secret=secret,
            endpoint=endpoint or "dysmsapi.aliyuncs.com",
            protocol="http" if plain_http else "https",
            read_timeout=timeout * 1000,
            connect_timeout=timeout * 1000,
        )
    )


class TencentSmsBackend(ProviderBackend):
    """Tencent Cloud SMS (tencentcloud-sdk-python-sms, API 2021-01-11): SendSms with the
    template id, the app id (SmsSdkAppId) and the key as SessionContext."""

    name = "tencent"

    def _client(self):
        return _tencent_client(
            settings.REMINDER_SMS_ENDPOINT,
            settings.REMINDER_SMS_ENDPOINT_HTTP,
            settings.REMINDER_SMS_ACCESS_KEY_ID,
            settings.REMINDER_SMS_ACCESS_KEY_SECRET,
            settings.REMINDER_SMS_REGION,
            _seconds(),
        )

    def _call(self, action: str, params: dict) -> dict:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        request = getattr(models, f"{action}Request")()
        request.from_json_string(json.dumps(params))
        try:
            response = getattr(self._client(), action)(request)
        except TencentCloudSDKException as error:
            raise provider_error(self.name, error.get_code() or "", error.get_message()) from error
        return json.loads(response.to_json_string())

    def send_template(self, *, number, template, kind, params, key) -> str:
        answer = self._call(
            "SendSms",
            {
                "PhoneNumberSet": [f"+86{number}"],
                "SmsSdkAppId": settings.REMINDER_SMS_APP_ID,
                "SignName": settings.REMINDER_SMS_SIGN_NAME,
                "TemplateId": template,
                "TemplateParamSet": template_values(kind, params),
                "SessionContext": key,
            },
        )
        statuses = answer.get("SendStatusSet") or [{}]
        status = statuses[0]
        if status.get("Code") != "Ok":
            raise provider_error(self.name, status.get("Code") or "", status.get("Message") or "")
        return str(status.get("SerialNo") or "")

    def find(self, *, number, key):
        # Tencent lists a message here once its receipt came (seconds, usually): a retry
        # waits REMINDER_RETRY_BASE_SECONDS at least.
        now = int(timezone.now().timestamp())
        found = (
            self._call(
                "PullSmsSendStatusByPhoneNumber",
                {
                    "BeginTime": now - 2 * 86400,
                    "EndTime": now,
                    "Offset": 0,
                    "Limit": 100,
                    "PhoneNumber": f"+86{number}",
                    "SmsSdkAppId": settings.REMINDER_SMS_APP_ID,
                },
            ).get("PullSmsSendStatusSet")
            or []
        )
        return next((str(s["SerialNo"]) for s in found if s.get("SessionContext") == key), "")

    def pull(self):
        app = {"SmsSdkAppId": settings.REMINDER_SMS_APP_ID, "Limit": 100}
        sent = self._call("PullSmsSendStatus", app).get("PullSmsSendStatusSet") or []
        replies = self._call("PullSmsReplyStatus", app).get("PullSmsReplyStatusSet") or []
        return (
            [
                Receipt(
                    str(s.get("SerialNo") or ""),
                    s.get("PhoneNumber") or s.get("SubscriberNumber") or "",
                    s.get("ReportStatus") == "SUCCESS",
                    s.get("Description") or "",
                    _local(s.get("UserReceiveTime") or ""),
                )
                for s in sent
            ],
            [
                tencent_reply(
                    r.get("PhoneNumber") or "",
                    r.get("ReplyContent") or "",
                    int(r.get("ReplyUnixTime") or 0),
                )
                for r in replies
            ],
        )


def tencent_reply(phone: str, text: str, unix_time: int) -> Reply:
    """Tencent's replies carry no id: the number, time and text make the key."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    plausible = 0 < unix_time < 4_102_444_800  # before 2100
    return Reply(
        f"tencent:{phone_hash(phone)[:20]}:{unix_time}:{digest}",
        phone,
        text,
        datetime.datetime.fromtimestamp(unix_time, datetime.UTC) if plausible else timezone.now(),
    )


class AliyunSmsBackend(ProviderBackend):
    """Alibaba Cloud SMS (alibabacloud-dysmsapi20170525, API 2017-05-25): SendSms with
    the template code, JSON parameters and the key as OutId."""

    name = "aliyun"

    def _client(self):
        return _aliyun_client(
            settings.REMINDER_SMS_ENDPOINT,
            settings.REMINDER_SMS_ENDPOINT_HTTP,
            settings.REMINDER_SMS_ACCESS_KEY_ID,
            settings.REMINDER_SMS_ACCESS_KEY_SECRET,
            _seconds(),
        )

    def _runtime(self):
        from darabonba.runtime import RuntimeOptions

        return RuntimeOptions(
            read_timeout=_seconds() * 1000, connect_timeout=_seconds() * 1000, autoretry=False
        )

    def _call(self, method: str, request):
        try:
            response = getattr(self._client(), method)(request, self._runtime())
        except Exception as error:  # the SDK's own exception classes, network errors
            # The gateway's refusals carry its code; a timeout or a refused connection
            # comes wrapped as UnretryableException (no code of the provider's).
            code = getattr(error, "code", "")
            if not isinstance(code, str) or not code or code == type(error).__name__:
                code = "ClientNetworkError"
            raise provider_error(
                self.name, code, getattr(error, "message", "") or str(error)
            ) from error
        return response.body

    def send_template(self, *, number, template, kind, params, key) -> str:
        from alibabacloud_dysmsapi20170525 import models

        names = TEMPLATE_PARAMS[kind]
        values = template_values(kind, params)
        body = self._call(
            "send_sms_with_options",
            models.SendSmsRequest(
                phone_numbers=number,
                sign_name=settings.REMINDER_SMS_SIGN_NAME,
                template_code=template,
                template_param=json.dumps(
                    dict(zip(names, values, strict=True)), ensure_ascii=False
                ),
                out_id=key,
            ),
        )
        if body.code != "OK":
            raise provider_error(self.name, body.code or "", body.message or "")
        return str(body.biz_id or "")

    def _details(self, *, number: str, day: datetime.date, provider_id: str = ""):
        from alibabacloud_dysmsapi20170525 import models

        body = self._call(
            "query_send_details_with_options",
            models.QuerySendDetailsRequest(
                phone_number=number,
                biz_id=provider_id or None,
                send_date=day.strftime("%Y%m%d"),
                page_size=50,
                current_page=1,
            ),
        )
        dtos = body.sms_send_detail_dtos
        return (dtos.sms_send_detail_dto if dtos else None) or []

    def find(self, *, number, key):
        today = timezone.localdate()
        for day in (today, today - datetime.timedelta(days=1)):
            for detail in self._details(number=number, day=day):
                if detail.out_id == key:
                    # QuerySendDetails does not name the BizId; the receipt will (OutId).
                    return f"out:{key}"[:64]
        return ""

    def query(self, *, number: str, provider_id: str, day: datetime.date) -> Receipt | None:
        """One message's receipt (QuerySendDetails: Alibaba asks for the number and day)."""
        for detail in self._details(number=number, day=day, provider_id=provider_id):
            # SendStatus: 1 waiting for the receipt, 2 failed, 3 delivered.
            if detail.send_status in (2, 3):
                return Receipt(
                    provider_id,
                    number,
                    detail.send_status == 3,
                    detail.err_code or "",
                    _local(detail.receive_date or ""),
                )
        return None


def provider() -> ProviderBackend | None:
    """The configured provider, or None (the logging backend: nothing to receive)."""
    from .channels import sms_backend

    backend = sms_backend()
    return backend if isinstance(backend, ProviderBackend) else None


def delivery_fields(phone: str, provider_id: str) -> dict:
    """What an SMS delivery row records once the backend took the message: the provider
    and its id (receipts name it) and the number's keyed hash (replies are matched on it)."""
    from django.utils.module_loading import import_string

    from .models import ReceiptState

    backend = import_string(settings.REMINDER_SMS_BACKEND)
    real = issubclass(backend, ProviderBackend)
    return {
        "provider": backend.name,
        "provider_id": provider_id[:64],
        "phone_hash": phone_hash(phone),
        "receipt": ReceiptState.WAITING if real else "",
    }
