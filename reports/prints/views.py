"""The batch print pages: the form and my recent jobs, a job's page with its live
progress (htmx polling), cancelling, running inline (no broker) and the download."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import stored_files
from accounts.jobs import runs_inline
from branches.access import PRINT_BATCHES, get_for_user, require_capability

from . import services, tasks
from .forms import PrintJobForm
from .models import PrintJob

RECENT = 10


def _get_job(request, pk) -> PrintJob:
    """A job of an area where the user may print batches; 404 outside it."""
    return get_for_user(
        request, PrintJob.objects.select_related("node", "user"), pk, read=PRINT_BATCHES
    )


def index(request):
    require_capability(request, PRINT_BATCHES)
    form = PrintJobForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.job_start(
                user=request.user,
                node=data["node"],
                kind=data["kind"],
                params=data["params"],
                output=data["output"],
                request=request,
            )
        except services.PrintError as error:
            messages.error(request, str(error))
        else:
            tasks.enqueue(job.pk)
            messages.success(request, _("The batch print has started."))
            return redirect("prints:job", pk=job.pk)
    recent = list(
        PrintJob.objects.visible_to(request.user)
        .filter(user=request.user)
        .select_related("node")[:RECENT]
    )
    return render(request, "reports/prints/index.html", {"form": form, "recent": recent})


def _context(job):
    return {"job": job, "inline": runs_inline()}


def job(request, pk):
    job = _get_job(request, pk)
    return render(request, "reports/prints/job.html", _context(job))


def progress(request, pk):
    job = _get_job(request, pk)
    return render(request, "reports/prints/job.html#status", _context(job))


def _back(request, job):
    if request.headers.get("HX-Request"):
        return render(request, "reports/prints/job.html#status", _context(job))
    return redirect("prints:job", pk=job.pk)


@require_POST
def run(request, pk):
    """Without a broker the job's page runs the job in this request while it polls the
    progress (as the roster import does); a job held by a worker is left alone."""
    job = _get_job(request, pk)
    services.job_execute(job.pk)
    job.refresh_from_db()
    return _back(request, job)


@require_POST
def cancel(request, pk):
    job = _get_job(request, pk)
    if job.is_live:
        job = services.job_cancel(job=job, actor=request.user, request=request)
        messages.success(request, _("The batch print is being cancelled."))
    return redirect("prints:job", pk=job.pk)


def download(request, pk):
    job = _get_job(request, pk)
    try:
        name = services.result_released(job=job, actor=request.user, request=request)
    except services.PrintError:
        raise Http404 from None
    content_type = "application/pdf" if job.output == "pdf" else "application/zip"
    return stored_files.download(request, name, content_type=content_type, filename=job.filename)
