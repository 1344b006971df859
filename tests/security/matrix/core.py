from accounts.models import User

from ...factories import PASSWORD
from . import LOGGED_IN, Spec

SPECS = [
    Spec("home", ok=LOGGED_IN),
    Spec("accounts:login", redirect=LOGGED_IN, anonymous=200),
    Spec("accounts:logout", everyone=405),
    Spec("accounts:large_mode", everyone=405, anonymous=405),
    Spec(
        "accounts:password_change",
        ok=LOGGED_IN,
        post=lambda c: {
            "old_password": PASSWORD,
            "new_password1": "Fresh#Start2026",
            "new_password2": "Fresh#Start2026",
        },
        state=lambda c: sorted(User.objects.values_list("pk", "password")),
    ),
    Spec("accounts:password_change_done", ok=LOGGED_IN),
    # Without a POST, set_language just sends the visitor back.
    Spec("set_language", everyone=302, anonymous=302),
]
