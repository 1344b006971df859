"""Year-end pages (年终), namespace "year_end"."""

from django.urls import path

from . import views

app_name = "year_end"

urlpatterns = [
    path("year-end/branches/<int:branch_pk>/", views.branch_page, name="branch"),
    path(
        "year-end/branches/<int:branch_pk>/<int:year>/pairs/new/", views.pair_add, name="pair_add"
    ),
    path(
        "year-end/branches/<int:branch_pk>/<int:year>/pairs/suggest/",
        views.pair_suggest,
        name="pair_suggest",
    ),
    path("year-end/pairs/<int:pk>/", views.talk_record, name="talk_record"),
    path("year-end/pairs/<int:pk>/delete/", views.pair_delete, name="pair_delete"),
    path(
        "year-end/branches/<int:branch_pk>/<int:year>/life-meeting/",
        views.life_meeting,
        name="life_meeting",
    ),
    path(
        "year-end/branches/<int:branch_pk>/<int:year>/appraisals/<int:member_pk>/",
        views.appraisal_edit,
        name="appraisal",
    ),
    path(
        "year-end/branches/<int:branch_pk>/<int:year>/rectification/new/",
        views.item_add,
        name="item_add",
    ),
    path(
        "year-end/branches/<int:branch_pk>/<int:year>/rectification/none/",
        views.no_problems,
        name="no_problems",
    ),
    path("year-end/rectification/<int:pk>/close/", views.item_close, name="item_close"),
    path("year-end/org/<int:pk>/", views.overview, name="overview"),
]
