"""Importing a 花名册 workbook: upload, preview, check, confirm, and the blank template."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import stored_files
from branches.access import IMPORT_MEMBERS, require_capability
from branches.models import Level, Organization

from .. import uploads
from ..forms.imports import ImportUploadForm
from ..models import ImportState


def _import_communities(user):
    return list(Organization.objects.visible_to(user, IMPORT_MEMBERS).filter(level=Level.COMMUNITY))


def import_upload(request):
    require_capability(request, IMPORT_MEMBERS)
    communities = _import_communities(request.user)
    if not communities:
        raise Http404
    form = ImportUploadForm(
        request.POST or None,
        request.FILES or None,
        communities=Organization.objects.filter(pk__in=[c.pk for c in communities]),
        max_bytes=uploads.max_bytes(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = uploads.store(
                form.cleaned_data["file"],
                user=request.user,
                community=form.cleaned_data["community"],
                request=request,
            )
        except stored_files.STORE_ERRORS:
            form.add_error(
                "file", _("The file store did not answer in time: upload the file again.")
            )
        else:
            tokens = request.session.get(uploads.SESSION_KEY, [])
            request.session[uploads.SESSION_KEY] = [*tokens, run.token][-10:]
            return redirect("members:import_preview", token=run.token)
    recent = uploads.recent_runs(request.user)
    tokens = request.session.get(uploads.SESSION_KEY, [])
    return render(
        request,
        "members/import_upload.html",
        {"form": form, "recent": recent, "tokens": tokens},
    )


def _get_run(request, token):
    require_capability(request, IMPORT_MEMBERS)
    run = uploads.run_for(request, token)
    if run is None:
        raise Http404
    return run


def import_preview(request, token):
    run = _get_run(request, token)
    return render(request, "members/import_preview.html", {"run": run})


def _import_partial(request, run):
    if request.headers.get("HX-Request"):
        return render(request, "members/import_preview.html#result", {"run": run})
    return redirect("members:import_preview", token=run.token)


@require_POST
def import_check(request, token):
    run = _get_run(request, token)
    run = uploads.check(run)
    return _import_partial(request, run)


@require_POST
def import_confirm(request, token):
    run = _get_run(request, token)
    run = uploads.confirm(run, request=request)
    if run.state == ImportState.DONE:
        messages.success(
            request,
            _("Import finished: %(created)d added, %(updated)d updated.")
            % {"created": run.create_count, "updated": run.update_count},
        )
    return _import_partial(request, run)


@require_POST
def import_retry(request, token):
    """A stranded check or write starts over with the check (the page runs it)."""
    run = uploads.retry(_get_run(request, token))
    return redirect("members:import_preview", token=run.token)


@require_POST
def import_discard(request, token):
    run = uploads.discard(_get_run(request, token), request=request)
    if run.state != ImportState.DISCARDED:
        return redirect("members:import_preview", token=run.token)
    messages.success(
        request,
        _("The import of %(file)s was discarded: nothing was written.") % {"file": run.file_name},
    )
    return redirect("members:import_upload")


def import_progress(request, token):
    run = _get_run(request, token)
    return render(request, "members/import_preview.html#progress", {"run": run})


def import_template(request):
    require_capability(request, IMPORT_MEMBERS)
    from ..importing.plan import template_workbook

    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        "attachment; filename=\"roster-template.xlsx\"; filename*=UTF-8''"
        + urlencode({"": _("roster-template") + ".xlsx"})[1:]
    )
    template_workbook().save(response)
    return response
