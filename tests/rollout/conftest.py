"""Workbooks for the import tests, written with openpyxl as a city office would."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


def xlsx(rows, *, title="Sheet1") -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(rows, name="导入.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx(rows))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files go to a folder of this test."""
    settings.MEDIA_ROOT = tmp_path / "media"
