"""GET /api/v1/me/: the calling client, its roles and its token's expiry, so that an
integrator can check a token before anything else."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .base import ApiViewMixin


class RoleSerializer(serializers.Serializer):
    role = serializers.CharField(help_text=_("The role's code."))
    role_display = serializers.CharField(help_text=_("The role's name."))
    node = serializers.CharField(
        help_text=_("Where the role holds: an organisation, branch or unit.")
    )


class MeSerializer(serializers.Serializer):
    client = serializers.CharField(help_text=_("The API client's name."))
    roles = RoleSerializer(many=True, help_text=_("The roles the security administrator granted."))
    token_prefix = serializers.CharField(help_text=_("The first characters of the token used."))
    token_expires_at = serializers.DateTimeField(help_text=_("When the token used expires."))


class MeView(ApiViewMixin, APIView):
    @extend_schema(responses=MeSerializer, summary=_("The calling client and its roles"))
    def get(self, request):
        token = request.auth
        roles = [
            {
                "role": staff_role.role,
                "role_display": staff_role.get_role_display(),
                "node": str(
                    staff_role.organization or staff_role.branch or staff_role.original_unit
                ),
            }
            for staff_role in request.user.staff_roles.select_related(
                "organization", "branch", "original_unit"
            ).order_by("pk")
        ]
        data = {
            "client": token.client.name,
            "roles": roles,
            "token_prefix": token.prefix,
            "token_expires_at": token.expires_at,
        }
        return Response(MeSerializer(data).data)
