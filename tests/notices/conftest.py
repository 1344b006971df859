"""Notices around the standing cast: district A writes to street A, which reaches
branch_a (community A) and functional_a (on the street itself)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from notices import services

# A file that starts as a PDF must (notices.uploads checks the first bytes only).
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files go to a fresh folder per test (so a test can see what is left)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return sorted(p.name for p in media.rglob("*") if p.is_file())


def pdf(name="学习材料.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def png(name="照片.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def draft_notice(cast, *, title="关于学习的通知", audience=None, files=(), **details):
    return services.create_draft(
        organization=details.pop("organization", cast.district_a),
        details={"title": title, "body": "请各支部组织学习。", **details},
        audience=audience if audience is not None else [cast.street_a],
        uploads=[services.Upload(f, "application/pdf") for f in files],
        actor=cast.user("district_staff"),
    )


def sent_notice(cast, **kwargs):
    notice = draft_notice(cast, **kwargs)
    services.send(notice=notice, actor=cast.user("district_staff"))
    return notice


@pytest.fixture
def notice(cast):
    """A sent notice of district A to street A with one PDF."""
    return sent_notice(cast, files=[pdf()])
