"""Reminder pages, namespace "reminders" (included from retiree_party/urls.py)."""

from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("reminders/", views.inbox, name="inbox"),
    path("reminders/unread/", views.unread_badge, name="unread_badge"),
    path("reminders/read-all/", views.mark_all_read, name="mark_all_read"),
    path("reminders/<int:pk>/", views.item, name="item"),
    path("reminders/settings/", views.preferences, name="preferences"),
    path("reminders/failed/", views.failed_list, name="failed_list"),
    path("reminders/failed/<int:pk>/", views.failed_detail, name="failed_detail"),
]
