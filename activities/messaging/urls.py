"""Reminder pages, namespace "reminders" (included from retiree_party/urls.py)."""

from django.urls import path

from . import sms_views, views

app_name = "reminders"

urlpatterns = [
    path("reminders/", views.inbox, name="inbox"),
    path("reminders/unread/", views.unread_badge, name="unread_badge"),
    path("reminders/read-all/", views.mark_all_read, name="mark_all_read"),
    path("reminders/<int:pk>/", views.item, name="item"),
    path("reminders/settings/", views.preferences, name="preferences"),
    path("reminders/failed/", views.failed_list, name="failed_list"),
    path("reminders/failed/<int:pk>/", views.failed_detail, name="failed_detail"),
    # A meeting's SMS notices and the members' answers; declines made 请假 in one tap.
    path("meetings/<int:pk>/text-replies/", views.meeting_notices, name="meeting_notices"),
    path(
        "meetings/<int:pk>/text-replies/excuse/",
        views.declines_excuse,
        name="declines_excuse",
    ),
    # The SMS provider's callbacks (public; the token in the URL is checked).
    path("sms/<str:provider>/<str:token>/status/", sms_views.sms_status, name="sms_status"),
    path("sms/<str:provider>/<str:token>/reply/", sms_views.sms_reply, name="sms_reply"),
    path("reminders/members/<int:pk>/", views.member_settings, name="member_settings"),
]
