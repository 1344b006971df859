from django.urls import path

from . import views

app_name = "unit_messages"

urlpatterns = [
    path("units/messages/", views.inbox, name="inbox"),
    path("units/messages/<int:pk>/", views.detail, name="detail"),
    path("units/messages/sent/", views.sent, name="sent"),
    path("units/messages/failed/", views.failed, name="failed"),
    path("units/messages/deliveries/<int:pk>/resend/", views.resend, name="resend"),
    path("units/contacts/", views.contacts, name="contacts"),
    path("units/contacts/<int:pk>/", views.contact, name="contact"),
    path("units/contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("units/contacts/<int:pk>/test/", views.contact_test, name="contact_test"),
]
