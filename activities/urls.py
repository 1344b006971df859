"""The app's URLs: each subject's own module, under its own namespace (activities, care,
reminders, year_end), at the paths they always had."""

from django.urls import include, path

urlpatterns = [
    path("", include("activities.meetings.urls")),
    path("", include("activities.care.urls")),
    path("", include("activities.messaging.urls")),
    path("", include("activities.year_end.urls")),
]
