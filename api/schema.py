"""What drf-spectacular needs to know about the API's own parts.

- `AutoSchema` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS): descriptions come only from
  `extend_schema(description=...)` (translatable), never from docstrings, which are
  written for the developers; every operation lists the refusals the door gives (401
  without a valid token, 403 without the capability, 404 outside the scope for a detail,
  429 over the client's rate), each a JSON object with a Chinese `detail`.
- `ClientTokenScheme`: the bearer token (api.authentication), imported by
  api.apps.ApiConfig.ready so that the generator finds it.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import get_override
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("Why the request was refused, in Chinese."))

    class Meta:
        ref_name = "Error"


REFUSALS = {
    "401": _("No token, or the token is unknown, expired or revoked, or the client is disabled."),
    "403": _("The client's roles do not allow this."),
    "404": _("Not found, or outside the client's scope."),
    "429": _("Too many requests: over the client's rate per minute; wait, then try again."),
}


class AutoSchema(openapi.AutoSchema):
    def get_description(self):
        return ""

    def _map_basic_serializer(self, serializer, direction):
        # A serializer's docstring is for developers too: only an explicit
        # extend_schema_serializer(description=...) describes a component.
        schema = super()._map_basic_serializer(serializer, direction)
        if get_override(serializer, "description") is None:
            schema.pop("description", None)
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["401", "403", "429"]
        if "{" in self.path:
            codes.append("404")
        for code in codes:
            if code not in responses:
                responses[code] = {
                    "content": {
                        "application/json": {
                            "schema": self.resolve_serializer(ErrorSerializer, "response").ref
                        }
                    },
                    "description": REFUSALS[code],
                }
        return dict(sorted(responses.items()))


class ClientTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ClientTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _(
                "The API client's token, issued by the system administrator: "
                "Authorization: Bearer <token>."
            ),
        }
