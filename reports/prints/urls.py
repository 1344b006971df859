from django.urls import path

from . import views

app_name = "prints"

urlpatterns = [
    path("reports/prints/", views.index, name="index"),
    path("reports/prints/<int:pk>/", views.job, name="job"),
    path("reports/prints/<int:pk>/progress/", views.progress, name="progress"),
    path("reports/prints/<int:pk>/run/", views.run, name="run"),
    path("reports/prints/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("reports/prints/<int:pk>/download/", views.download, name="download"),
]
