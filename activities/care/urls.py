"""Care (党内关怀) and activity pages, namespace "care" (included from
retiree_party/urls.py)."""

from django.urls import path

from . import activity_views, views, visit_views

app_name = "care"

urlpatterns = [
    # A carer's own work, the to-review list and follow-ups.
    path("care/", views.my_care, name="mine"),
    path("care/review/", views.review_list, name="review"),
    path("care/follow-ups/", views.follow_up_list, name="follow_ups"),
    path("care/follow-ups/<int:pk>/", visit_views.follow_up_edit, name="follow_up_edit"),
    # Coverage of an area and of a branch; the branch's register.
    path("care/org/<int:pk>/", views.org_coverage, name="coverage"),
    path("care/branches/<int:branch_pk>/", views.branch_care, name="branch"),
    path("care/branches/<int:branch_pk>/register/", views.register, name="register"),
    # One member's care.
    path("care/members/<int:pk>/", views.member_care, name="member"),
    path("care/members/<int:pk>/need/", views.need_edit, name="need_edit"),
    path("care/members/<int:pk>/need/delete/", views.need_delete, name="need_delete"),
    path("care/members/<int:pk>/carers/new/", views.carer_add, name="carer_add"),
    path("care/carers/<int:pk>/remove/", views.carer_remove, name="carer_remove"),
    path("care/members/<int:pk>/visits/new/", visit_views.visit_create, name="visit_create"),
    path("care/visits/<int:pk>/", visit_views.visit_detail, name="visit_detail"),
    path("care/visits/<int:pk>/edit/", visit_views.visit_edit, name="visit_edit"),
    path("care/visits/<int:pk>/delete/", visit_views.visit_delete, name="visit_delete"),
    path("care/visits/<int:pk>/follow-ups/new/", visit_views.follow_up_add, name="follow_up_add"),
    # Activities besides meetings.
    path(
        "branches/<int:branch_pk>/activities/", activity_views.activity_list, name="activity_list"
    ),
    path(
        "branches/<int:branch_pk>/activities/new/",
        activity_views.activity_create,
        name="activity_create",
    ),
    path("activities/<int:pk>/", activity_views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", activity_views.activity_edit, name="activity_edit"),
    path(
        "activities/<int:pk>/participants/",
        activity_views.activity_participants,
        name="activity_participants",
    ),
    path("activities/<int:pk>/delete/", activity_views.activity_delete, name="activity_delete"),
]
