from django.urls import include, path

from . import views

app_name = "notices"

urlpatterns = [
    path("notices/", views.received_list, name="received"),
    path("notices/sent/", views.sent_list, name="sent"),
    path("notices/unread/", views.unread_badge, name="unread_badge"),
    path("notices/new/", views.notice_create, name="create"),
    path("notices/<int:pk>/", views.notice_detail, name="detail"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="edit"),
    path("notices/<int:pk>/send/", views.notice_send, name="send"),
    path("notices/files/<int:pk>/", views.attachment_download, name="attachment"),
]
urlpatterns += [path("", include("notices.receipt_urls"))]  # confirm, reply, forward, remind
