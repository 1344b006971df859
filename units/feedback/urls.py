from django.urls import path

from . import export_views

app_name = "feedback"

urlpatterns: list = []

# The reports' downloads (PDF, Excel): export_views.
urlpatterns += [
    path(
        "units/feedback/<int:pk>/export.<str:fmt>",
        export_views.letter_export,
        name="letter_export",
    ),
    path(
        "units/feedback/unit/<int:pk>/<int:year>-<int:half>/export.<str:fmt>",
        export_views.half_export,
        name="half_export",
    ),
]
