"""What every v1 endpoint shares: token authentication (api.authentication), the
client's throttle, and the portal's scope.

A list starts from `Model.objects.visible_to(user, read_capability)`; a detail is looked
up inside that queryset, so anything outside the client's scope answers 404, exactly as
the pages do. A view that needs no model (figures) calls `require_capability`.
"""

from django.contrib.auth.decorators import login_not_required
from rest_framework import mixins, viewsets

from branches.access import VIEW_STRUCTURE


class ApiViewMixin:
    """The portal's login requirement is for people (sessions); API views authenticate
    the client themselves (DRF), so Django's LoginRequiredMiddleware lets them through."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        return login_not_required(super().as_view(*args, **kwargs))


class ScopedReadViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """List and detail of one model inside the client's scope.

    Subclasses set `queryset` (ordered by a unique key: stable pages) and
    `read_capability`; `get_queryset` narrows it to the scope.
    """

    read_capability = VIEW_STRUCTURE

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user, self.read_capability)


class ScopedCreateViewSet(ApiViewMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """A write endpoint: the serializer validates, the view resolves the target through
    the scope helpers and calls the same service as the page (audited there)."""
