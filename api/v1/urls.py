"""/api/v1/: the router of every v1 endpoint. Each subject registers its viewsets here."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .care import CareCoverageBranchView, CareCoverageNodeView, CareVisitViewSet
from .me import MeView
from .meetings import MeetingViewSet

app_name = "api_v1"

router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("care-visits", CareVisitViewSet, basename="care-visit")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path(
        "care-coverage/nodes/<int:pk>/",
        CareCoverageNodeView.as_view(),
        name="care-coverage-node",
    ),
    path(
        "care-coverage/branches/<int:pk>/",
        CareCoverageBranchView.as_view(),
        name="care-coverage-branch",
    ),
    *router.urls,
]
