"""The import pages: the upload form and my recent jobs, a job's page with its live
progress (htmx polling) and preview, running inline (no broker), confirming, and the
blank templates."""

from __future__ import annotations

import io
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.jobs import runs_inline
from branches.access import scope_for

from . import services, tasks
from .forms import ConfirmForm, UploadForm, kinds_for
from .models import ImportJob
from .registry import get_kind

RECENT = 10
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_importer(request):
    if not kinds_for(request.user):
        raise Http404


def _get_job(request, pk) -> ImportJob:
    """A job of a kind and area the user may import; 404 outside it."""
    job = (
        ImportJob.objects.visible_to(request.user)
        .select_related("node", "created_by")
        .filter(pk=pk)
        .first()
    )
    if job is None:
        raise Http404
    return job


def index(request):
    _require_importer(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.job_start(
                user=request.user,
                node=data["node"],
                kind=data["kind"],
                upload=data["file"],
                dry_run=data["dry_run"],
                request=request,
            )
        except services.ImportJobError as error:
            messages.error(request, str(error))
        else:
            tasks.enqueue(job.pk)
            messages.success(request, _("The file was received."))
            return redirect("rollout_jobs:job", pk=job.pk)
    recent = list(
        ImportJob.objects.visible_to(request.user)
        .filter(created_by=request.user)
        .select_related("node")[:RECENT]
    )
    return render(
        request,
        "rollout/jobs/index.html",
        {"form": form, "recent": recent, "kinds": kinds_for(request.user)},
    )


def _context(job):
    return {"job": job, "inline": runs_inline()}


def job(request, pk):
    return render(request, "rollout/jobs/job.html", _context(_get_job(request, pk)))


def progress(request, pk):
    return render(request, "rollout/jobs/job.html#status", _context(_get_job(request, pk)))


@require_POST
def run(request, pk):
    """Without a broker the job's page runs the job in this request while it polls."""
    job = _get_job(request, pk)
    services.job_execute(job.pk)
    job.refresh_from_db()
    if request.headers.get("HX-Request"):
        return render(request, "rollout/jobs/job.html#status", _context(job))
    return redirect("rollout_jobs:job", pk=job.pk)


@require_POST
def confirm(request, pk):
    job = _get_job(request, pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The confirmation was not understood: try again."))
        return redirect("rollout_jobs:job", pk=job.pk)
    try:
        services.job_confirm(
            job=job, actor=request.user, version=form.cleaned_data["version"], request=request
        )
    except services.ImportConflict as error:
        messages.error(request, str(error))
    else:
        tasks.enqueue(job.pk)
        messages.success(request, _("Confirmed: the rows are being written."))
    return redirect("rollout_jobs:job", pk=job.pk)


def template(request, kind):
    found = get_kind(kind)
    if found is None or not scope_for(request.user).has(found.capability):
        raise Http404
    out = io.BytesIO()
    found.template().save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    filename = f"{found.label}模板.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
