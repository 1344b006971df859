from .access import scope_for


def access(request):
    """Expose the user's capabilities to templates as `caps` (named as in access.py)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"caps": frozenset(), "large_mode": bool(request.session.get("large_mode"))}
    return {"caps": scope_for(user).capabilities, "large_mode": user.large_mode}
