from django.urls import path

from .views import committees, imports, member, registrations, roster, secondments

app_name = "members"

urlpatterns = [
    path("members/", roster.roster, name="roster"),
    path("members/print/", roster.roster_print, name="roster_print"),
    path("members/export.xlsx", roster.roster_xlsx, name="roster_xlsx"),
    path("members/export.pdf", roster.roster_pdf, name="roster_pdf"),
    path("members/new/", member.member_create, name="member_create"),
    path("members/<int:pk>/", member.member_detail, name="member_detail"),
    path("members/<int:pk>/show-full/", member.member_reveal, name="member_reveal"),
    path("members/<int:pk>/edit/", member.member_edit, name="member_edit"),
    path("members/<int:pk>/status/", member.member_status, name="member_status"),
    path("members/<int:pk>/delete/", member.member_erase, name="member_erase"),
    path("members/<int:pk>/roles/new/", member.service_role_create, name="service_role_create"),
    path("members/<int:pk>/honours/new/", member.recognition_create, name="recognition_create"),
    path(
        "members/<int:pk>/register/", registrations.registration_report, name="registration_report"
    ),
    path("members/<int:pk>/memberships/new/", member.membership_create, name="membership_create"),
    path(
        "members/<int:pk>/memberships/<int:membership_pk>/end/",
        member.membership_end,
        name="membership_end",
    ),
    path(
        "members/<int:pk>/roles/<int:role_pk>/end/",
        member.service_role_end,
        name="service_role_end",
    ),
    path("groups/<int:group_pk>/leader/", committees.group_leader, name="group_leader"),
    path("registrations/", registrations.registration_list, name="registration_list"),
    path(
        "registrations/<int:pk>/accept/",
        registrations.registration_accept,
        name="registration_accept",
    ),
    path(
        "registrations/<int:pk>/withdraw/",
        registrations.registration_withdraw,
        name="registration_withdraw",
    ),
    path("branches/<int:branch_pk>/terms/new/", committees.term_create, name="term_create"),
    path("terms/<int:pk>/edit/", committees.term_edit, name="term_edit"),
    path("branches/<int:branch_pk>/seconded/", secondments.seconded_list, name="seconded_list"),
    path(
        "branches/<int:branch_pk>/seconded/new/",
        secondments.seconded_create,
        name="seconded_create",
    ),
    path("seconded/<int:pk>/edit/", secondments.seconded_edit, name="seconded_edit"),
    path("seconded/<int:pk>/end/", secondments.seconded_end, name="seconded_end"),
    path("seconded/<int:pk>/delete/", secondments.seconded_delete, name="seconded_delete"),
    path("members/import/", imports.import_upload, name="import_upload"),
    path("members/import/template.xlsx", imports.import_template, name="import_template"),
    path("members/import/<str:token>/", imports.import_preview, name="import_preview"),
    path("members/import/<str:token>/check/", imports.import_check, name="import_check"),
    path("members/import/<str:token>/confirm/", imports.import_confirm, name="import_confirm"),
    path("members/import/<str:token>/progress/", imports.import_progress, name="import_progress"),
    path("members/import/<str:token>/retry/", imports.import_retry, name="import_retry"),
    path("members/import/<str:token>/discard/", imports.import_discard, name="import_discard"),
]
