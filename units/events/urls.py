"""Unit events (原单位 -> 社区), namespace "unit_events"."""

from django.urls import path

from . import views

app_name = "unit_events"

urlpatterns = [
    path("units/events/", views.task_list, name="list"),
    path("units/events/report/<int:unit_pk>/<slug:kind>/", views.report, name="report"),
    path("units/events/<int:pk>/", views.detail, name="detail"),
    path("units/events/<int:pk>/accept/", views.accept, name="accept"),
    path("units/events/<int:pk>/decline/", views.decline, name="decline"),
    path("units/events/<int:pk>/do/", views.do, name="do"),
]
