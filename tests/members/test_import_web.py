"""The web import: upload -> check (with progress) -> preview -> confirm, all or nothing,
reachable only from the session that uploaded the file."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from members import uploads
from members.models import ImportRun, ImportState, Member

from .workbooks import person, workbook


def stored(run) -> bool:
    return default_storage.exists(uploads.name_for(run.token))


def upload(client, cast, data, name="花名册.xlsx"):
    return client.post(
        reverse("members:import_upload"),
        {"community": cast.community_a.pk, "file": SimpleUploadedFile(name, data)},
    )


def test_an_upload_is_checked_previewed_and_then_imported(cast, client_for):
    client = client_for("community_secretary")
    response = upload(client, cast, workbook([person(1), person(2)]))
    run = ImportRun.objects.get()
    assert response.url == reverse("members:import_preview", args=[run.token])
    assert stored(run)  # in the storage (imports/members/), not the database

    page = client.get(response.url)
    assert "正在逐行检查" in page.content.decode()

    checked = client.post(reverse("members:import_check", args=[run.token]), HTTP_HX_REQUEST="true")
    text = checked.content.decode()
    assert "所有行均正确：将新增 2 人，更新 0 人，0 人无变化。" in text
    assert "导入001号" in text
    assert not Member.objects.filter(name__startswith="导入").exists()  # a preview writes nothing

    progress = client.get(reverse("members:import_progress", args=[run.token]))
    assert progress.status_code == 200

    done = client.post(reverse("members:import_confirm", args=[run.token]))
    assert done.status_code == 302
    run.refresh_from_db()
    assert (run.state, run.create_count, run.done, run.total) == ("done", 2, 2, 2)
    assert Member.objects.filter(name__startswith="导入").count() == 2
    assert not stored(run)  # the upload is gone once imported
    page = client.get(done.url).content.decode()
    assert "新增 2 人，更新 0 人" in page


def test_a_wrong_file_lists_its_errors_and_cannot_be_confirmed(cast, client_for):
    client = client_for("community_secretary")
    upload(client, cast, workbook([person(1), person(2, 手机号码="139")]))
    run = ImportRun.objects.get()
    page = client.post(reverse("members:import_check", args=[run.token]), follow=True)
    text = page.content.decode()
    assert "文件有 1 处错误，未保存任何数据。" in text
    assert "第 5 行，“手机号码”列：手机号码应为 11 位，这个是 3 位。" in text
    client.post(reverse("members:import_confirm", args=[run.token]))
    run.refresh_from_db()
    assert run.state == ImportState.INVALID
    assert not Member.objects.filter(name__startswith="导入").exists()


def test_a_file_that_is_no_workbook_is_refused_at_upload(cast, client_for):
    client = client_for("community_secretary")
    response = upload(client, cast, b"not a workbook at all", name="花名册.xlsx")
    assert response.status_code == 200
    assert "请上传 Excel 工作簿（.xlsx）" in response.content.decode()
    response = upload(client, cast, b"\xd0\xcf\x11\xe0old", name="花名册.xls")
    assert "另存为 .xlsx" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_file_over_the_size_limit_is_refused(cast, client_for, settings):
    settings.MEMBER_IMPORT_MAX_BYTES = 1000
    response = upload(client_for("community_secretary"), cast, workbook([person(1)]))
    assert "文件超过" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_damaged_workbook_is_reported_after_upload(cast, client_for):
    client = client_for("community_secretary")
    upload(client, cast, b"PK\x03\x04" + b"\x00" * 200)
    run = ImportRun.objects.get()
    client.post(reverse("members:import_check", args=[run.token]))
    run.refresh_from_db()
    assert run.state == ImportState.INVALID
    assert "工作簿" in run.report["errors"][0]


def test_another_session_cannot_reach_or_confirm_an_upload(cast, client_for, client):
    owner = client_for("community_secretary")
    upload(owner, cast, workbook([person(1)]))
    run = ImportRun.objects.get()
    owner.post(reverse("members:import_check", args=[run.token]))
    token_urls = [
        reverse(name, args=[run.token])
        for name in ("members:import_preview", "members:import_progress")
    ]
    owner.logout()
    # The same user in a new session, and a colleague, both get 404.
    for key in ("community_secretary", "district_staff"):
        other = client_for(key)
        for url in token_urls:
            assert other.get(url).status_code == 404
        assert other.post(reverse("members:import_confirm", args=[run.token])).status_code == 404
    run.refresh_from_db()
    assert run.state == ImportState.READY
    assert not Member.objects.filter(name__startswith="导入").exists()


def test_a_second_confirm_does_nothing(cast, client_for):
    client = client_for("community_secretary")
    upload(client, cast, workbook([person(1)]))
    run = ImportRun.objects.get()
    client.post(reverse("members:import_check", args=[run.token]))
    client.post(reverse("members:import_confirm", args=[run.token]))
    client.post(reverse("members:import_confirm", args=[run.token]))
    assert Member.objects.filter(name__startswith="导入").count() == 1
    run.refresh_from_db()
    assert run.state == ImportState.DONE


def test_progress_is_recorded_per_chunk_while_checking(cast, client_for, monkeypatch):
    monkeypatch.setattr("members.importing.reading.CHUNK", 10)
    seen = []
    original = uploads._progress

    def spy(run, claim):
        report = original(run, claim)

        def wrapped(done, total):
            seen.append((done, total))
            report(done, total)

        return wrapped

    monkeypatch.setattr(uploads, "_progress", spy)
    client = client_for("community_secretary")
    upload(client, cast, workbook([person(n) for n in range(1, 36)]))
    run = ImportRun.objects.get()
    client.post(reverse("members:import_check", args=[run.token]))
    assert seen == [(10, 35), (20, 35), (30, 35), (35, 35)]
    run.refresh_from_db()
    assert (run.done, run.total, run.state) == (35, 35, "ready")


def test_the_progress_fragment_shows_the_share_done_while_busy(cast, client_for):
    client = client_for("community_secretary")
    upload(client, cast, workbook([person(1)]))
    run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=run.pk).update(state=ImportState.CHECKING, done=3000, total=10000)
    text = client.get(reverse("members:import_progress", args=[run.token])).content.decode()
    assert "已处理 3000 / 10000 行（30%）" in text
    assert 'hx-trigger="load delay:1s"' in text  # it polls again while busy


# --- a stranded import (its worker was stopped) can be retried or discarded ----------------


def strand(run, state, minutes=10):
    """As a worker killed mid-step leaves it: busy, no progress for `minutes`, its lease
    (two minutes, extended at each progress) run out after two."""
    moved = timezone.now() - datetime.timedelta(minutes=minutes)
    ImportRun.objects.filter(pk=run.pk).update(
        state=state, claimed_at=moved, lease_until=moved + datetime.timedelta(minutes=2)
    )


def uploaded(client, cast, rows):
    upload(client, cast, workbook(rows))
    return ImportRun.objects.get()


@pytest.mark.parametrize(
    ("state", "heading"), [("checking", "检查没有完成。"), ("writing", "写入没有完成。")]
)
def test_a_stranded_import_offers_retry_and_discard(cast, client_for, state, heading):
    client = client_for("community_secretary")
    run = uploaded(client, cast, [person(1)])
    preview = reverse("members:import_preview", args=[run.token])
    retry = reverse("members:import_retry", args=[run.token])

    strand(run, state, minutes=1)  # still within the lease: busy, no buttons, polling
    text = client.get(preview).content.decode()
    assert heading not in text and retry not in text
    assert 'hx-trigger="load delay:1s"' in text
    client.post(retry)
    assert ImportRun.objects.get().state == state  # a live step is not taken over

    strand(run, state)
    text = client.get(preview).content.decode()
    assert heading in text
    assert "已超过 2 分钟没有进展，处理被中断了。没有写入任何数据。" in text
    assert f'action="{retry}"' in text
    assert f'action="{reverse("members:import_discard", args=[run.token])}"' in text
    assert 'hx-trigger="load delay:1s"' not in text  # it stops polling
    assert "已中断，未写入任何数据" in client.get(reverse("members:import_upload")).content.decode()


def test_a_stranded_write_is_retried_through_the_pages_and_imports_once(cast, client_for):
    client = client_for("community_secretary")
    run = uploaded(client, cast, [person(1), person(2)])
    client.post(reverse("members:import_check", args=[run.token]))
    strand(run, ImportState.WRITING)
    client.post(reverse("members:import_confirm", args=[run.token]))
    assert ImportRun.objects.get().state == ImportState.WRITING  # a new confirm does nothing

    response = client.post(reverse("members:import_retry", args=[run.token]))
    assert response.url == reverse("members:import_preview", args=[run.token])
    run.refresh_from_db()
    assert run.state == ImportState.UPLOADED
    assert (run.claim_token, run.lease_until, run.claimed_at) == (None, None, None)
    page = client.get(response.url).content.decode()
    assert "正在逐行检查" in page  # the page starts the check again by itself
    checked = client.post(reverse("members:import_check", args=[run.token]), HTTP_HX_REQUEST="true")
    assert "所有行均正确：将新增 2 人" in checked.content.decode()
    client.post(reverse("members:import_confirm", args=[run.token]))
    run.refresh_from_db()
    assert (run.state, run.create_count) == (ImportState.DONE, 2)
    assert Member.objects.filter(name__startswith="导入").count() == 2


def test_a_stranded_check_is_discarded_through_the_pages(cast, client_for):
    client = client_for("community_secretary")
    run = uploaded(client, cast, [person(1)])
    strand(run, ImportState.CHECKING)
    discard = reverse("members:import_discard", args=[run.token])
    response = client.post(discard, follow=True)
    assert response.redirect_chain[-1][0] == reverse("members:import_upload")
    text = response.content.decode()
    assert "已放弃导入 花名册.xlsx，未写入任何数据。" in text
    assert "已放弃，未写入任何数据" in text  # in the list of recent imports
    run.refresh_from_db()
    assert run.state == ImportState.DISCARDED
    assert (run.claim_token, run.lease_until) == (None, None) and run.claimed_at is not None
    assert not stored(run)
    entry = AuditEntry.objects.filter(object_type="members.importrun").latest("pk")
    assert entry.changes["after"] == {"state": "discarded"}
    # Discarded, it can be neither retried nor confirmed.
    client.post(reverse("members:import_retry", args=[run.token]))
    client.post(reverse("members:import_confirm", args=[run.token]))
    assert ImportRun.objects.get().state == ImportState.DISCARDED
    assert (
        "这次导入已放弃"
        in client.get(reverse("members:import_preview", args=[run.token])).content.decode()
    )
    assert not Member.objects.filter(name__startswith="导入").exists()


def test_another_session_cannot_retry_or_discard_a_stranded_import(cast, client_for):
    owner = client_for("community_secretary")
    run = uploaded(owner, cast, [person(1)])
    strand(run, ImportState.CHECKING)
    owner.logout()
    other = client_for("community_secretary")  # the same user, a new session
    for name in ("members:import_retry", "members:import_discard"):
        assert other.post(reverse(name, args=[run.token])).status_code == 404
    assert ImportRun.objects.get().state == ImportState.CHECKING


def test_a_check_that_wakes_after_a_retry_changes_nothing(cast, client_for, monkeypatch):
    """A check whose worker stalled past the lease, while the user retried: its late
    result must not overwrite the new attempt."""
    client = client_for("community_secretary")
    run = uploaded(client, cast, [person(1)])
    read_plan = uploads.reading.read_plan

    def stalled(*args, **kwargs):
        plan = read_plan(*args, **kwargs)
        strand(run, ImportState.CHECKING)
        uploads.retry(run)  # the user pressed 重试 meanwhile
        return plan

    monkeypatch.setattr(uploads.reading, "read_plan", stalled)
    client.post(reverse("members:import_check", args=[run.token]))
    assert ImportRun.objects.get().state == ImportState.UPLOADED


def test_a_write_interrupted_before_it_is_marked_done_leaves_nothing(cast, client_for, monkeypatch):
    """gunicorn stops a timed-out worker with SystemExit wherever it is: the members and
    the run's "done" commit together or not at all."""
    client = client_for("community_secretary")
    run = uploaded(client, cast, [person(1)])
    client.post(reverse("members:import_check", args=[run.token]))
    members_import = uploads.writing.members_import

    def killed_after_writing(**kwargs):
        members_import(**kwargs)
        raise SystemExit(1)

    monkeypatch.setattr(uploads.writing, "members_import", killed_after_writing)
    with pytest.raises(SystemExit):
        client.post(reverse("members:import_confirm", args=[run.token]))
    assert not Member.objects.filter(name__startswith="导入").exists()
    assert ImportRun.objects.get().state == ImportState.WRITING  # stranded: retry or discard


# --- the steps hold the row through the shared claim (accounts.jobs.Claim) --------------


def test_a_twin_confirm_during_the_write_does_not_write_twice(cast, client_for, monkeypatch):
    """A second confirm (another tab, a double click) while the first one reads: the
    first holds the claim, the twin takes nothing and writes nothing."""
    client = client_for("community_secretary")
    run = uploaded(client, cast, [person(1), person(2)])
    client.post(reverse("members:import_check", args=[run.token]))
    read_plan = uploads.reading.read_plan
    twins = []

    def with_a_twin(*args, **kwargs):
        plan = read_plan(*args, **kwargs)
        twins.append(uploads.confirm(ImportRun.objects.get(pk=run.pk)).state)
        return plan

    monkeypatch.setattr(uploads.reading, "read_plan", with_a_twin)
    client.post(reverse("members:import_confirm", args=[run.token]))
    assert twins == [ImportState.WRITING]  # the twin saw the write running, left it
    run.refresh_from_db()
    assert (run.state, run.create_count, run.attempts) == (ImportState.DONE, 2, 2)
    assert Member.objects.filter(name__startswith="导入").count() == 2


def test_a_write_that_wakes_while_a_new_attempt_holds_the_run_changes_nothing(
    cast, client_for, monkeypatch
):
    """A write stalls past its lease; the person retries, the file is checked again and
    a new write takes the run, each under a new claim token. The stalled worker then
    wakes with its plan (2 members to add): its progress and its write touch nothing."""
    client = client_for("community_secretary")
    run = uploaded(client, cast, [person(1), person(2)])
    client.post(reverse("members:import_check", args=[run.token]))
    read_plan = uploads.reading.read_plan
    stalled_tokens, new_writes = [], []

    def stalled(*args, progress, **kwargs):
        plan = read_plan(*args, progress=progress, **kwargs)
        if stalled_tokens:  # the new attempt's check
            return plan
        stalled_tokens.append(ImportRun.objects.get(pk=run.pk).claim_token)
        strand(run, ImportState.WRITING)
        again = uploads.check(uploads.retry(ImportRun.objects.get(pk=run.pk)))
        new_writes.append(uploads._claim(again, [ImportState.READY], ImportState.WRITING))
        progress(99, 99)  # the stalled worker wakes and reports (past the throttle)...
        return plan  # ...and goes on to write

    monkeypatch.setattr(uploads.reading, "read_plan", stalled)
    client.post(reverse("members:import_confirm", args=[run.token]))
    run.refresh_from_db()
    tokens = {stalled_tokens[0], new_writes[0].token, run.claim_token}
    assert len(tokens) == 2 and run.claim_token == new_writes[0].token  # the new write's
    assert (run.state, run.done, run.total) == (ImportState.WRITING, 0, 2)
    assert run.attempts == 4  # check, write, check again, the new write
    assert not Member.objects.filter(name__startswith="导入").exists()
