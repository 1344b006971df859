from django.urls import path

from . import views

app_name = "completeness"

urlpatterns = [
    path("completeness/", views.overview, name="overview"),
]
