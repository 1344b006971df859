from django.urls import path

from . import views

app_name = "joint"

urlpatterns = [
    path("units/joint/", views.meeting_list, name="list"),
    path("units/joint/new/", views.meeting_add, name="add"),
    path("units/joint/<int:pk>/", views.meeting_detail, name="meeting"),
    path("units/joint/<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("units/joint/items/", views.my_items, name="my_items"),
    path("units/joint/items/<int:pk>/close/", views.item_close, name="item_close"),
    path("units/joint/items/<int:pk>/reopen/", views.item_reopen, name="item_reopen"),
]
