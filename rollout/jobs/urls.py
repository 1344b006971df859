from django.urls import path

from . import views

app_name = "rollout_jobs"

urlpatterns = [
    path("rollout/imports/", views.index, name="index"),
    path("rollout/imports/<int:pk>/", views.job, name="job"),
    path("rollout/imports/<int:pk>/progress/", views.progress, name="progress"),
    path("rollout/imports/<int:pk>/run/", views.run, name="run"),
    path("rollout/imports/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("rollout/imports/template/<slug:kind>/", views.template, name="template"),
]
