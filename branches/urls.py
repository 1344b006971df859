from django.urls import path

from . import role_views, views

app_name = "branches"

urlpatterns = [
    path("org/", views.org_tree, name="org_tree"),
    path("org/<int:pk>/", views.org_detail, name="org_detail"),
    path("branches/", views.branch_list, name="branch_list"),
    path("branches/new/", views.branch_create, name="branch_create"),
    path("branches/<int:pk>/", views.branch_detail, name="branch_detail"),
    path("branches/<int:pk>/edit/", views.branch_edit, name="branch_edit"),
    path("branches/<int:branch_pk>/groups/new/", views.group_create, name="group_create"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("venues/", views.venue_list, name="venue_list"),
    path("venues/new/", views.venue_create, name="venue_create"),
    path("venues/<int:pk>/edit/", views.venue_edit, name="venue_edit"),
    # Role management: the security administrator (三权分立).
    path("roles/", role_views.role_list, name="role_list"),
    path("roles/new/", role_views.role_grant, name="role_grant"),
    path("roles/<int:pk>/revoke/", role_views.role_revoke, name="role_revoke"),
]
