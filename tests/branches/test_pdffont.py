"""The PDFs' compact CJK font: cut once from the system's Noto Sans CJK SC, embedded in
place of the full collection, with the full font still drawing what the cut lacks."""

import shutil
import subprocess

import pytest

from branches import pdffont
from branches.exporting import render_pdf

needs_fonts = pytest.mark.skipif(
    not (shutil.which("fc-match") and shutil.which("pdffonts") and pdffont.compact_font()),
    reason="fontconfig, Noto Sans CJK SC, HarfBuzz subset or poppler-utils missing",
)


def poppler(tool: str, content: bytes) -> str:
    return subprocess.run(
        [tool, "-", "-"] if tool == "pdftotext" else [tool, "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()


@needs_fonts
def test_a_pdf_embeds_the_compact_font_and_still_prints_names_outside_it():
    # 堃 and 玥 are not in GB 2312: the system font draws them.
    cells = "".join(f"<td>{name}</td>" for name in ("陈伟伟", "王堃", "李玥"))
    content = render_pdf(f"<h1>签到表</h1><table><tr>{cells}</tr></table>")
    fonts = poppler("pdffonts", content)
    assert "+Portal-Sans-SC " in fonts and "+Portal-Sans-SC-Bold " in fonts
    text = poppler("pdftotext", content)
    assert "签到表" in text and "陈伟伟" in text and "王堃" in text and "李玥" in text


@needs_fonts
def test_the_compact_font_is_small_with_low_glyph_ids_and_built_once(monkeypatch):
    path = pdffont.compact_font()
    assert path.parent == pdffont.cache_dir() and path.stat().st_size < 5_000_000
    pdffont.compact_font.cache_clear()

    def no_rebuild(*args):
        raise AssertionError("the font on disk is reused")

    monkeypatch.setattr(pdffont, "_subset", no_rebuild)
    try:
        assert pdffont.compact_font() == path
    finally:
        pdffont.compact_font.cache_clear()


def test_without_fontconfig_there_is_no_compact_font_and_no_error(monkeypatch):
    monkeypatch.setattr(pdffont.shutil, "which", lambda name: None)
    pdffont.compact_font.cache_clear()
    try:
        assert pdffont.compact_font() is None
    finally:
        pdffont.compact_font.cache_clear()


def test_a_cache_folder_of_another_user_is_not_trusted(monkeypatch, tmp_path):
    monkeypatch.setattr(pdffont.tempfile, "gettempdir", lambda: str(tmp_path))
    uid = pdffont.os.getuid()
    (tmp_path / f"portal-pdf-fonts-{uid + 1}").mkdir()  # as if planted by someone else
    monkeypatch.setattr(pdffont.os, "getuid", lambda: uid + 1)
    monkeypatch.setattr(pdffont, "_source", lambda bold: ("/dev/null", 0))
    monkeypatch.setattr(pdffont, "_subset", lambda *args: b"OTTO")
    pdffont.compact_font.cache_clear()
    try:
        assert pdffont.compact_font() is None
    finally:
        pdffont.compact_font.cache_clear()
