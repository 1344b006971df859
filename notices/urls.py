from django.http import Http404
from django.urls import path


def _h1_replaces(request, pk):
    # Placeholders for the notice pages built in parallel (h1 replaces): other pages
    # link to these names.
    raise Http404


app_name = "notices"

urlpatterns: list = [
    path("notices/<int:pk>/", _h1_replaces, name="detail"),  # h1 replaces
    path("notices/<int:pk>/edit/", _h1_replaces, name="edit"),  # h1 replaces
]
