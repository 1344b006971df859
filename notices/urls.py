from django.urls import path  # noqa: F401  (the pages are added by the views' modules)

app_name = "notices"

urlpatterns: list = []
