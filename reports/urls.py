from django.urls import path

from . import bulletin_views, views
from .annual import views as annual_views

app_name = "reports"

urlpatterns = [
    path("reports/", views.index, name="index"),
    # An organisation node: city, district, street or community.
    path("reports/org/<int:pk>/", views.org_dashboard, name="org_dashboard"),
    path("reports/org/<int:pk>/export/<slug:table>.xlsx", views.org_export, name="org_export"),
    path("reports/org/<int:pk>/dashboard.pdf", views.org_pdf, name="org_pdf"),
    path("reports/org/<int:pk>/members/", views.org_members, name="org_members"),
    path("reports/org/<int:pk>/branches/", views.org_branches, name="org_branches"),
    path("reports/org/<int:pk>/meetings/", views.org_meetings, name="org_meetings"),
    # One branch's overview.
    path("reports/branch/<int:pk>/", views.branch_dashboard, name="branch_dashboard"),
    path(
        "reports/branch/<int:pk>/export/<slug:table>.xlsx",
        views.branch_export,
        name="branch_export",
    ),
    path("reports/branch/<int:pk>/dashboard.pdf", views.branch_pdf, name="branch_pdf"),
    path("reports/branch/<int:pk>/members/", views.branch_members, name="branch_members"),
    # 定期通报: a district's or street's periodic bulletins.
    path("reports/org/<int:pk>/bulletins/", bulletin_views.bulletin_list, name="bulletin_list"),
    path("reports/bulletins/<int:pk>/", bulletin_views.bulletin, name="bulletin"),
    path(
        "reports/bulletins/<int:pk>/bulletin.pdf", bulletin_views.bulletin_pdf, name="bulletin_pdf"
    ),
    # 年报: the annual return of a node for a year, its submission and review.
    path("reports/annual/", annual_views.index, name="annual_index"),
    path(
        "reports/org/<int:pk>/annual/<int:year>/",
        annual_views.annual_return,
        name="annual_return",
    ),
    path(
        "reports/org/<int:pk>/annual/<int:year>/submit/",
        annual_views.submit,
        name="annual_submit",
    ),
    path(
        "reports/org/<int:pk>/annual/<int:year>/review/",
        annual_views.review,
        name="annual_review",
    ),
    path(
        "reports/org/<int:pk>/annual/<int:year>/return.xlsx",
        annual_views.export_xlsx,
        name="annual_xlsx",
    ),
    path(
        "reports/org/<int:pk>/annual/<int:year>/return.pdf",
        annual_views.export_pdf,
        name="annual_pdf",
    ),
]
