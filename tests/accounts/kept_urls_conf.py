"""A URL conf naming branches:branch_detail elsewhere (tests/accounts/test_kept_urls.py)."""

from django.http import HttpResponse
from django.urls import include, path

branches = (
    [path("elsewhere/<int:pk>/", lambda request, pk: HttpResponse(), name="branch_detail")],
    "branches",
)
urlpatterns = [path("", include(branches))]
