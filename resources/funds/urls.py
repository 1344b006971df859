from django.urls import path

from . import views

app_name = "funds"

urlpatterns = [
    path("funds/branches/<int:branch_pk>/", views.branch_page, name="branch"),
    path("funds/branches/<int:branch_pk>/usage/", views.branch_usage, name="branch_usage"),
    path(
        "funds/branches/<int:branch_pk>/allocations/new/",
        views.allocation_add,
        name="allocation_add",
    ),
    path("funds/branches/<int:branch_pk>/spending/new/", views.spending_add, name="spending_add"),
    path(
        "funds/allocations/<int:pk>/correct/", views.allocation_correct, name="allocation_correct"
    ),
    path("funds/spending/<int:pk>/", views.spending_detail, name="spending"),
    path("funds/spending/<int:pk>/decide/", views.spending_decide, name="spending_decide"),
    path("funds/spending/<int:pk>/correct/", views.spending_correct, name="spending_correct"),
    path("funds/receipts/<int:pk>/", views.receipt_download, name="receipt"),
    path("funds/approvals/", views.waiting, name="waiting"),
    path("funds/areas/<int:pk>/", views.area_page, name="area"),
    path("funds/areas/<int:pk>/usage/", views.area_usage, name="area_usage"),
    path("funds/areas/<int:pk>/close/", views.year_close, name="year_close"),
    path("funds/districts/<int:pk>/rule/", views.rule_edit, name="rule"),
]
