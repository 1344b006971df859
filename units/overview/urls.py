from django.urls import path

from . import views

app_name = "unit_overview"

urlpatterns = [
    path("units/overview/", views.unit_list, name="list"),
    path("units/overview/<int:pk>/", views.unit_page, name="unit"),
]
