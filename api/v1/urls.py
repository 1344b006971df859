"""/api/v1/: the router of every v1 endpoint. Each subject registers its viewsets here."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .branches import BranchViewSet
from .care import CareCoverageBranchView, CareCoverageNodeView, CareVisitViewSet
from .compliance import ComplianceViewSet
from .figures import BranchFiguresView, NodeFiguresView
from .me import MeView
from .meetings import MeetingViewSet
from .members import MemberViewSet
from .notices import ReceiptViewSet, ReceivedNoticeViewSet, SentNoticeViewSet
from .organizations import OrganizationViewSet

app_name = "api_v1"

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("branches", BranchViewSet, basename="branch")
router.register("members", MemberViewSet, basename="member")
router.register("compliance", ComplianceViewSet, basename="compliance")
router.register("notices/sent", SentNoticeViewSet, basename="sent-notice")
router.register("notices/received", ReceivedNoticeViewSet, basename="received-notice")
router.register(
    r"notices/sent/(?P<notice_pk>[0-9]+)/receipts", ReceiptViewSet, basename="notice-receipt"
)
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("care-visits", CareVisitViewSet, basename="care-visit")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("figures/organizations/<int:pk>/", NodeFiguresView.as_view(), name="organization-figures"),
    path("figures/branches/<int:pk>/", BranchFiguresView.as_view(), name="branch-figures"),
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
