"""Batch prints (reports.prints.services): a job prints every branch of its area once,
in order, with a cover page and one outline entry per branch; a stopped worker's job
resumes from the parts already printed without printing any branch twice; cancelling,
the zip output, the keeping time, and every kind in the registry."""

import datetime
import zipfile

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AuditAction, AuditEntry
from reports.prints import kinds, services
from reports.prints.forms import PrintJobForm
from reports.prints.models import PrintJob, PrintState
from reports.prints.registry import KINDS, Kind, get_kind, register

from ...activities.conftest import record
from .conftest import outline_titles, pdf_text, planned, result_file

MONDAY = datetime.date(2026, 12, 14)
SUNDAY = MONDAY + datetime.timedelta(days=6)
WEEK = {"date_from": MONDAY.isoformat(), "date_to": SUNDAY.isoformat()}


def start(cast, *, user="street_staff", node=None, kind="sign_in", params=None, output="pdf"):
    return services.job_start(
        user=cast.user(user),
        node=node or cast.street_a,
        kind=kind,
        params=WEEK if params is None and kind == "sign_in" else (params or {}),
        output=output,
    )


@pytest.fixture
def week(cast):
    """Next week's meetings: two at branch_a, one at the street's functional branch, one
    in street A2 (another street) and one the week after (out of range)."""
    planned(cast.branch_a, MONDAY, topic="学习党章第一章")
    planned(cast.branch_a, MONDAY + datetime.timedelta(days=3), topic="主题党日")
    planned(cast.functional_a, MONDAY + datetime.timedelta(days=1))
    planned(cast.branch_a2, MONDAY)
    planned(cast.branch_a, SUNDAY + datetime.timedelta(days=1))
    return cast


def test_a_street_batch_prints_each_branch_with_meetings_once_behind_a_cover(week):
    cast = week
    job = start(cast)
    assert "print job" in services.job_execute(job.pk)
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.error) == (PrintState.DONE, 2, 2, "")
    path = result_file(job)
    assert outline_titles(path) == [cast.functional_a.name, cast.branch_a.name]
    reader = PdfReader(path)
    assert job.pages == len(reader.pages)
    cover = pdf_text(path, 1, 1)
    assert cast.street_a.name in cover and cast.branch_a.name in cover
    text = pdf_text(path)
    assert text.count("学习党章第一章") == 1 and "主题党日" in text
    assert cast.member_a.name in text and cast.member_a_bedridden.name in text
    assert cast.branch_a2.name not in text  # another street
    # Each branch's outline entry points at its first page: the branch is named there.
    for item in reader.outline:
        page = reader.get_destination_page_number(item) + 1
        assert item.title in pdf_text(path, page, page)
    assert job.file_size == path.stat().st_size
    assert job.expires_at > timezone.now() + datetime.timedelta(days=6)
    assert not (path.parent / "parts").exists()
    made = AuditEntry.objects.filter(object_type="reports.printresult", object_id=str(job.pk))
    assert made.count() == 1


def test_a_job_is_run_by_one_worker_only(week):
    job = start(week)
    run = services.job_claim(job.pk)
    assert run is not None
    assert services.job_execute(job.pk).endswith("not claimed")
    assert services.job_claim(job.pk) is None


class Killed(BaseException):
    """What a SIGKILL looks like to the code: nothing after it runs."""


def test_a_stopped_worker_s_job_resumes_without_printing_a_branch_twice(week, monkeypatch):
    cast = week
    job = start(cast)
    rendered = []
    real = get_kind("sign_in")

    def render(job, branch):
        if branch == cast.branch_a and not rendered.count(branch.pk):
            rendered.append(branch.pk)
            raise Killed
        rendered.append(branch.pk)
        return real.render(job, branch)

    monkeypatch.setitem(
        KINDS, "sign_in", Kind("sign_in", real.label, render, real.branches, period="range")
    )
    with pytest.raises(Killed):
        services.job_execute(job.pk)
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (PrintState.RUNNING, 1, 2)
    assert services.stranded_jobs() == []  # its lease still runs
    assert services.job_execute(job.pk).endswith("not claimed")
    PrintJob.objects.filter(pk=job.pk).update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    job.refresh_from_db()
    assert job.is_stranded
    assert services.stranded_jobs() == [job.pk]
    services.job_execute(job.pk)
    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == (PrintState.DONE, 2, 2)
    # The street's functional branch (first in the tree's order) printed once, before
    # the stop; branch_a tried twice.
    assert rendered == [cast.functional_a.pk, cast.branch_a.pk, cast.branch_a.pk]
    assert outline_titles(result_file(job)) == [cast.functional_a.name, cast.branch_a.name]
    assert pdf_text(result_file(job)).count("学习党章第一章") == 1


def test_a_job_stranded_too_often_fails(week):
    job = start(week)
    PrintJob.objects.filter(pk=job.pk).update(
        state=PrintState.RUNNING,
        attempts=services.MAX_ATTEMPTS,
        lease_until=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert services.stranded_jobs() == []
    job.refresh_from_db()
    assert job.state == PrintState.FAILED and job.error


def test_a_queued_job_is_cancelled_at_once_and_a_running_one_after_its_branch(week):
    cast = week
    queued = start(cast)
    services.job_cancel(job=queued, actor=cast.user("street_staff"))
    queued.refresh_from_db()
    assert queued.state == PrintState.CANCELLED
    assert services.job_execute(queued.pk).endswith("not claimed")

    running = start(cast)
    run = services.job_claim(running.pk)
    services.job_cancel(job=running, actor=cast.user("street_staff"))
    running.refresh_from_db()
    assert (running.state, running.cancel_requested) == (PrintState.RUNNING, True)
    job = PrintJob.objects.select_related("node").get(pk=running.pk)
    assert services._execute(run, job, get_kind("sign_in")).endswith("cancelled")
    running.refresh_from_db()
    assert running.state == PrintState.CANCELLED and not running.file_path
    assert not services.job_dir(running.pk).exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.UPDATE, object_type="reports.printjob", object_id=str(running.pk)
    ).exists()


def test_the_zip_holds_one_pdf_per_branch(week):
    cast = week
    job = start(cast, output="zip")
    services.job_execute(job.pk)
    job.refresh_from_db()
    with zipfile.ZipFile(result_file(job)) as archive:
        names = archive.namelist()
    assert names == [f"001-{cast.functional_a.name}.pdf", f"002-{cast.branch_a.name}.pdf"]
    assert job.filename.endswith(".zip")


def test_results_are_removed_after_the_keeping_time(week, print_dir):
    job = start(week)
    services.job_execute(job.pk)
    job.refresh_from_db()
    assert services.prune_expired() == 0 and result_file(job).exists()
    stray = services.folder() / "job-999999"
    stray.mkdir()
    later = job.expires_at + datetime.timedelta(seconds=1)
    assert services.prune_expired(now=later) == 1
    assert not result_file(job).exists() and not stray.exists()
    job.refresh_from_db()
    assert (job.state, job.file_path, job.downloadable) == (PrintState.EXPIRED, "", False)


def test_every_kind_prints_the_community_s_branch(cast):
    record(branch=cast.branch_a, held_on=datetime.date(2026, 3, 10), topic="学习全会精神")
    for key, params, expected in [
        ("attendance_report", {"year": 2026, "quarter": 1}, "2026年第一季度"),
        ("ledger", {"year": 2026}, "学习全会精神"),
        ("roster", {}, cast.member_a.name),
    ]:
        job = start(
            cast, user="community_secretary", node=cast.community_a, kind=key, params=params
        )
        services.job_execute(job.pk)
        job.refresh_from_db()
        assert job.state == PrintState.DONE, (key, job.error)
        assert outline_titles(result_file(job)) == [cast.branch_a.name], key
        text = pdf_text(result_file(job))
        assert expected in text, key
        if key == "roster":
            assert "13812345678" not in text and "138****5678" in text  # masked


def test_a_branch_with_nothing_to_print_is_listed_but_has_no_bookmark(cast):
    kind = register(Kind("test_empty", "空", lambda job, branch: None, kinds.area_branches))
    try:
        job = start(cast, node=cast.community_a, user="community_secretary", kind=kind.key)
        services.job_execute(job.pk)
        job.refresh_from_db()
        assert job.state == PrintState.DONE
        assert outline_titles(result_file(job)) == []
        assert [e["pages"] for e in job.contents] == [0]
        assert "无可打印内容" in pdf_text(result_file(job)) and job.pages == 1  # the cover alone
    finally:
        KINDS.pop("test_empty")


def test_a_failing_branch_fails_the_job_with_its_reason(cast, monkeypatch):
    def broken(job, branch):
        raise ValueError("模板出错")

    real = get_kind("ledger")
    monkeypatch.setitem(KINDS, "ledger", Kind("ledger", real.label, broken, real.branches, "year"))
    job = start(
        cast,
        node=cast.community_a,
        user="community_secretary",
        kind="ledger",
        params={"year": 2026},
    )
    services.job_execute(job.pk)
    job.refresh_from_db()
    assert (job.state, job.error) == (PrintState.FAILED, "模板出错")
    assert not services.job_dir(job.pk).exists()


def test_the_form_offers_only_areas_in_scope_and_checks_the_period(cast):
    form = PrintJobForm(user=cast.user("street_staff"), today=datetime.date(2026, 12, 9))
    assert [o.pk for o in form.fields["node"].queryset] == [cast.street_a.pk, cast.community_a.pk]
    assert (form.fields["date_from"].initial, form.fields["date_to"].initial) == (MONDAY, SUNDAY)

    def posted(**data):
        base = {"kind": "sign_in", "node": cast.street_a.pk, "output": "pdf", **data}
        return PrintJobForm(base, user=cast.user("street_staff"))

    ok = posted(date_from="2026-12-14", date_to="2026-12-20")
    assert ok.is_valid(), ok.errors
    assert ok.cleaned_data["params"] == WEEK
    assert not posted(date_from="2026-12-20", date_to="2026-12-14").is_valid()
    assert not posted(date_from="2026-01-01", date_to="2026-12-31").is_valid()
    assert not posted(
        date_from="2026-12-14", date_to="2026-12-20", node=cast.street_b.pk
    ).is_valid()
    ledger = posted(kind="ledger", year="2026")
    assert ledger.is_valid() and ledger.cleaned_data["params"] == {"year": 2026}
    assert not PrintJobForm(
        {"kind": "ledger", "node": cast.street_a.pk, "output": "pdf", "year": "2026"},
        user=cast.user("community_secretary"),
    ).is_valid()


def test_a_job_cannot_start_on_a_branch_level_node_or_an_unknown_kind(cast):
    with pytest.raises(services.PrintError):
        start(cast, kind="nothing")
    with pytest.raises(services.PrintError):
        start(cast, node=cast.city)


def test_erasing_a_member_removes_the_results_of_their_area(
    week, django_capture_on_commit_callbacks
):
    from members.erasure import member_erase

    cast = week
    street = start(cast)
    services.job_execute(street.pk)
    elsewhere = start(cast, user="district_b_staff", node=cast.street_b, kind="roster")
    services.job_execute(elsewhere.pk)
    street.refresh_from_db()
    stored = result_file(street)
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member=cast.member_a, actor=cast.user("community_secretary"))
    street.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (street.state, street.file_path) == (PrintState.EXPIRED, "")
    assert not services.job_dir(street.pk).exists() and not stored.exists()
    assert elsewhere.state == PrintState.DONE and result_file(elsewhere).exists()


def test_the_prune_command_removes_expired_results(week):
    import io

    from django.core.management import call_command

    job = start(week)
    services.job_execute(job.pk)
    PrintJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())
    out = io.StringIO()
    call_command("prune_print_jobs", stdout=out)
    assert "1 print results removed" in out.getvalue()
    job.refresh_from_db()
    assert job.state == PrintState.EXPIRED


def test_a_job_waiting_for_a_busy_worker_is_published_again_once_a_lease(week):
    job = start(week)
    later = timezone.now() + services.lease() + datetime.timedelta(seconds=1)
    assert services.stranded_jobs(now=later) == [job.pk]
    assert services.stranded_jobs(now=later) == []  # not again within the lease
    much_later = later + services.lease() + datetime.timedelta(seconds=1)
    assert services.stranded_jobs(now=much_later) == [job.pk]
    assert services.job_claim(job.pk) is not None  # a queued job is claimed whatever its lease
