from django.urls import include, path

urlpatterns = [
    path("", include("units.messages.urls")),
    path("", include("units.events.urls")),
    path("", include("units.feedback.urls")),
    path("", include("units.joint.urls")),
    path("", include("units.overview.urls")),
]
