"""What the v1 write endpoints share: the target's id read from the body before
anything else (so that scope refusals, 404 / 403, come before validation), the page's
form errors as the answer's field-keyed Chinese messages, and the idempotent replay.

Idempotent writes answer 201 when they created the row and 200 with the same row (and
"replayed": true) when the client key had been seen already. A key already used for a
row of another target answers 409: a client key belongs to one write only.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError


class KeyReused(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This client key was used for another write.")
    default_code = "key_reused"


def body_pk(data, name: str) -> int:
    """The id named `name` in the JSON body (a positive integer), else 400 on that field."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("The body must be a JSON object.")]})
    value = data.get(name)
    if value in (None, ""):
        raise ValidationError({name: [_("This field is required.")]})
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError({name: [_("A valid integer is required.")]})
    try:
        pk = int(value)
    except ValueError:
        raise ValidationError({name: [_("A valid integer is required.")]}) from None
    if pk < 1:
        raise ValidationError({name: [_("A valid integer is required.")]})
    return pk


def form_errors(form, rename: dict | None = None) -> dict:
    """The form's errors keyed by the API's field names ("__all__" -> non_field_errors)."""
    rename = rename or {}
    errors = {}
    for name, messages in form.errors.items():
        key = "non_field_errors" if name == "__all__" else rename.get(name, name)
        errors.setdefault(key, []).extend(str(m) for m in messages)
    return errors


def form_data(values: dict) -> dict:
    """Validated serializer values as a form's data: None becomes an empty field."""
    return {name: ("" if value is None else value) for name, value in values.items()}


class WriteAnswer(serializers.Serializer):
    replayed = serializers.BooleanField(
        help_text="true: this client key had been used; nothing was written again."
    )
