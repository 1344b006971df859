from django.urls import include, path

app_name = "notices"

urlpatterns: list = []
urlpatterns += [path("", include("notices.receipt_urls"))]  # confirm, reply, forward, remind
