from .middleware import login_pending


def login_state(request):
    """`login_complete`: the menu, the reminder badge and every other htmx fragment are
    shown only after the second factor and any required password change."""
    user = getattr(request, "user", None)
    return {
        "login_complete": user is not None and user.is_authenticated and not login_pending(request)
    }
