"""Batch prints: each test writes its parts and results under its own tmp folder."""

import datetime
import subprocess

import pytest

from activities.meetings.models import Meeting, MeetingKind, MeetingStatus


@pytest.fixture(autouse=True)
def print_dir(settings, tmp_path):
    settings.PRINT_JOB_DIR = str(tmp_path / "prints-var")
    return tmp_path / "prints-var"


def planned(branch, day: datetime.date, topic="学习党章"):
    return Meeting.objects.create(
        branch=branch,
        kind=MeetingKind.GENERAL_ASSEMBLY,
        status=MeetingStatus.PLANNED,
        topic=topic,
        planned_on=day,
    )


def result_file(job):
    """A finished job's result on the local disk (the default storage in these tests)."""
    from pathlib import Path

    from django.core.files.storage import default_storage

    return Path(default_storage.path(job.file_path))


def outline_titles(path) -> list[str]:
    from pypdf import PdfReader

    return [item.title for item in PdfReader(path).outline]


def pdf_text(path, first=None, last=None) -> str:
    command = ["pdftotext", "-layout"]
    if first:
        command += ["-f", str(first)]
    if last:
        command += ["-l", str(last)]
    return subprocess.run(
        [*command, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
