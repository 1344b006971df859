"""Feedback report pages (双向联系反馈表), namespace "feedback"."""

from django.urls import path

from . import export_views, views

app_name = "feedback"

urlpatterns = [
    path("units/feedback/communities/<int:pk>/", views.community_page, name="community"),
    path(
        "units/feedback/communities/<int:pk>/units/<int:unit_pk>/<int:year>/<int:half>/generate/",
        views.generate,
        name="generate",
    ),
    path("units/feedback/<int:pk>/", views.letter_page, name="letter"),
    path("units/feedback/<int:pk>/review/", views.review, name="review"),
    path("units/feedback/<int:pk>/send/", views.send, name="send"),
    path("units/feedback/<int:pk>/reply-read/", views.reply_read, name="reply_read"),
    path("units/feedback/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("units/feedback/unit/", views.unit_letters, name="unit_letters"),
    path("units/feedback/districts/<int:pk>/runs/", views.runs, name="runs"),
    path("units/feedback/districts/<int:pk>/runs/new/", views.run_start, name="run_start"),
    path("units/feedback/runs/<int:pk>/", views.run_page, name="run"),
    # The reports' downloads (PDF, Excel): export_views.
    path(
        "units/feedback/<int:pk>/export.<str:fmt>",
        export_views.letter_export,
        name="letter_export",
    ),
    path(
        "units/feedback/unit/<int:pk>/<int:year>-<int:half>/export.<str:fmt>",
        export_views.half_export,
        name="half_export",
    ),
]
