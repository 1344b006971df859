"""The second factor in tests: admin-role users must pass TOTP before any page.

`pass_second_factor(client, user)` gives `user` a confirmed TOTP device and marks the
client's session verified by it, as django_otp.login() does after a correct code.
`totp_now(device)` is the code an authenticator app would show right now.
"""

from django.contrib.sessions.backends.base import SessionBase
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp

from accounts.access import needs_second_factor
from accounts.models import TOTPDevice

ADMIN_ROLE_KEYS = frozenset({"system_admin", "security_admin", "auditor"})


def device_for(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)


def totp_now(device: TOTPDevice, *, offset: int = 0) -> str:
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset)
    return f"{code:0{device.digits}d}"


def pass_second_factor(client, user) -> TOTPDevice:
    device = device_for(user)
    session: SessionBase = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def login_as(client, user, *, key: str = ""):
    """force_login, and the second factor too for the admin roles."""
    client.force_login(user)
    if key in ADMIN_ROLE_KEYS or (not key and needs_second_factor(user)):
        pass_second_factor(client, user)
    return client
