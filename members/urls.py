from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("members/", views.roster, name="roster"),
    path("members/print/", views.roster_print, name="roster_print"),
    path("members/export.xlsx", views.roster_xlsx, name="roster_xlsx"),
    path("members/export.pdf", views.roster_pdf, name="roster_pdf"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/show-full/", views.member_reveal, name="member_reveal"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/status/", views.member_status, name="member_status"),
    path("members/<int:pk>/delete/", views.member_erase, name="member_erase"),
    path("members/<int:pk>/roles/new/", views.service_role_create, name="service_role_create"),
    path("members/<int:pk>/honours/new/", views.recognition_create, name="recognition_create"),
    path("members/<int:pk>/register/", views.registration_report, name="registration_report"),
    path("members/<int:pk>/memberships/new/", views.membership_create, name="membership_create"),
    path(
        "members/<int:pk>/memberships/<int:membership_pk>/end/",
        views.membership_end,
        name="membership_end",
    ),
    path(
        "members/<int:pk>/roles/<int:role_pk>/end/", views.service_role_end, name="service_role_end"
    ),
    path("groups/<int:group_pk>/leader/", views.group_leader, name="group_leader"),
    path("registrations/", views.registration_list, name="registration_list"),
    path("registrations/<int:pk>/accept/", views.registration_accept, name="registration_accept"),
    path("registrations/<int:pk>/notify/", views.registration_notify, name="registration_notify"),
    path(
        "registrations/<int:pk>/withdraw/",
        views.registration_withdraw,
        name="registration_withdraw",
    ),
    path("branches/<int:branch_pk>/terms/new/", views.term_create, name="term_create"),
    path("terms/<int:pk>/edit/", views.term_edit, name="term_edit"),
    path("members/import/", views.import_upload, name="import_upload"),
    path("members/import/template.xlsx", views.import_template, name="import_template"),
    path("members/import/<str:token>/", views.import_preview, name="import_preview"),
    path("members/import/<str:token>/check/", views.import_check, name="import_check"),
    path("members/import/<str:token>/confirm/", views.import_confirm, name="import_confirm"),
    path("members/import/<str:token>/progress/", views.import_progress, name="import_progress"),
    path("members/import/<str:token>/retry/", views.import_retry, name="import_retry"),
    path("members/import/<str:token>/discard/", views.import_discard, name="import_discard"),
]
