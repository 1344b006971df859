from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from workbench.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("branches.urls")),
    path("", include("members.urls")),
    path("", include("notices.urls")),
    path("", include("activities.urls")),
    path("", include("resources.funds.urls")),
    path("", include("resources.places.urls")),
    path("", include("units.urls")),
    path("", include("rollout.urls")),
    path("", include("reports.urls")),
    path("", include("reports.prints.urls")),
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "retiree_party.views.bad_request"
handler404 = "retiree_party.views.page_not_found"
handler500 = "retiree_party.views.server_error"
