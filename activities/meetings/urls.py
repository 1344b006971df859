from django.urls import path

from . import checkin_views, compliance_views, material_views, views

app_name = "activities"

urlpatterns = [
    # A branch's meetings, compliance and reports.
    path("branches/<int:branch_pk>/meetings/", views.meeting_list, name="meeting_list"),
    path("branches/<int:branch_pk>/meetings/plan/", views.meeting_plan, name="meeting_plan"),
    path("branches/<int:branch_pk>/make-ups/", views.makeup_list, name="makeup_list"),
    path(
        "branches/<int:branch_pk>/meetings/record/",
        views.meeting_record_new,
        name="meeting_record_new",
    ),
    path(
        "branches/<int:branch_pk>/compliance/",
        compliance_views.branch_compliance,
        name="branch_compliance",
    ),
    path(
        "branches/<int:branch_pk>/attendance-report/",
        views.attendance_report,
        name="attendance_report",
    ),
    path("branches/<int:branch_pk>/ledger/", views.ledger, name="ledger"),
    path("branches/<int:branch_pk>/library/", material_views.library, name="library"),
    path(
        "branches/<int:branch_pk>/excusals/new/",
        compliance_views.excusal_create,
        name="excusal_create",
    ),
    # One meeting.
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/record/", views.meeting_record, name="meeting_record"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("meetings/<int:pk>/attach/", views.attachment_upload, name="attachment_upload"),
    path("meetings/<int:pk>/sign-in-sheet/", views.sign_in_sheet, name="sign_in_sheet"),
    path(
        "meetings/<int:pk>/attendance-record/",
        views.attendance_record,
        name="attendance_record",
    ),
    path("meetings/<int:pk>/materials/", material_views.material_link, name="material_link"),
    path(
        "meetings/<int:pk>/materials/<int:notice_pk>/remove/",
        material_views.material_unlink,
        name="material_unlink",
    ),
    # Self check-in (扫码签到): the secretary's QR page, live panel and visitor decisions,
    # and the public page the QR code opens (no log-in; the token is signed).
    path("meetings/<int:pk>/check-in/", checkin_views.checkin_qr, name="checkin_qr"),
    path("meetings/<int:pk>/check-in/live/", checkin_views.checkin_live, name="checkin_live"),
    path("check-in-visitors/<int:pk>/", checkin_views.checkin_visitor, name="checkin_visitor"),
    path("checkin/<str:token>/", checkin_views.checkin_public, name="checkin"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("attendance/<int:attendance_pk>/make-up/", views.makeup_create, name="makeup_create"),
    # Overview for a community (or any node) and the rules.
    path("org/<int:pk>/compliance/", compliance_views.org_compliance, name="org_compliance"),
    path("cadence-rules/", compliance_views.rule_list, name="rule_list"),
    path("cadence-rules/new/", compliance_views.rule_create, name="rule_create"),
    path("cadence-rules/<int:pk>/edit/", compliance_views.rule_edit, name="rule_edit"),
    path("excusals/", compliance_views.excusal_list, name="excusal_list"),
    path("excusals/<int:pk>/delete/", compliance_views.excusal_delete, name="excusal_delete"),
]
