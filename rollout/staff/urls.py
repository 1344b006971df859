"""Staff accounts in bulk, namespace "staff"."""

from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("rollout/staff/", views.batch_list, name="batches"),
    path("rollout/staff/<int:pk>/", views.batch_detail, name="batch"),
    path("rollout/staff/<int:pk>/decide/", views.batch_decide, name="decide"),
    path("rollout/staff/<int:pk>/resend/", views.links_resend, name="resend"),
    path("activate/<str:token>/", views.activate, name="activate"),
]
