from django.urls import include, path

from . import views

# The pages about the API, for people in the browser: NOT under /api/ (that prefix is
# the JSON API itself and its request log).
page_patterns = [
    path("api-clients/", views.client_list, name="client_list"),
    path("api-clients/new/", views.client_create, name="client_create"),
    path("api-clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("api-clients/<int:pk>/edit/", views.client_edit, name="client_edit"),
    path("api-clients/<int:pk>/active/", views.client_set_active, name="client_set_active"),
    path("api-clients/<int:pk>/tokens/new/", views.token_issue, name="token_issue"),
    path(
        "api-clients/<int:pk>/tokens/<int:token_pk>/issued/",
        views.token_new,
        name="token_new",
    ),
    path(
        "api-clients/<int:pk>/tokens/<int:token_pk>/revoke/",
        views.token_revoke,
        name="token_revoke",
    ),
    path("api-requests/", views.request_log, name="request_log"),
    path("api-docs/", views.api_docs, name="docs"),
    path("api-docs/openapi.yaml", views.api_schema, name="schema"),
]

urlpatterns = [
    path("api/v1/", include("api.v1.urls")),
    path("", include((page_patterns, "api_admin"))),
]
