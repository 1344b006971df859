"""URLs of the receipts work (confirm, reply, forward, receipts, remind), included by
notices.urls into the "notices" namespace."""

from django.urls import path

from . import receipt_views

urlpatterns = [
    path("notices/<int:pk>/confirm/", receipt_views.confirm, name="confirm"),
    path("notices/<int:pk>/reply/", receipt_views.reply, name="reply"),
    path("notices/<int:pk>/forward/", receipt_views.forward, name="forward"),
    path("notices/<int:pk>/receipts/", receipt_views.receipts, name="receipts"),
    path(
        "notices/<int:pk>/receipts/export/",
        receipt_views.receipts_export,
        name="receipts_export",
    ),
    path("notices/<int:pk>/remind/", receipt_views.remind, name="remind"),
    path("notices/reply-files/<int:pk>/", receipt_views.reply_file, name="reply_file"),
]
