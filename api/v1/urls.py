"""/api/v1/: the router of every v1 endpoint. Each subject registers its viewsets here."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .me import MeView

app_name = "api_v1"

router = SimpleRouter()

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
