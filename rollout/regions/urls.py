from django.urls import path

from . import views

app_name = "regions"

urlpatterns = [
    path("regions/", views.index, name="index"),
    path("regions/move/", views.move, name="move"),
    path("regions/merge/communities/", views.merge_communities, name="merge_communities"),
    path("regions/merge/branches/", views.merge_branches, name="merge_branches"),
    path("regions/split/", views.split_choose, name="split_choose"),
    path("regions/split/<int:pk>/", views.split, name="split"),
    path("regions/split/branch/<int:pk>/", views.split_branch, name="split_branch"),
    path("regions/rename/", views.rename, name="rename"),
]
