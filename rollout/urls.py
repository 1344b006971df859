from django.urls import include, path

# Each subject (jobs, staff, regions, completeness) includes its urls here.
urlpatterns: list = [
    path("", include("rollout.jobs.urls")),
    path("", include("rollout.staff.urls")),
    path("", include("rollout.completeness.urls")),
    path("", include("rollout.regions.urls")),
]
