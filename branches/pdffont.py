"""A compact CJK font for the PDFs, cut once per machine from the system's Noto Sans CJK SC.

WeasyPrint embeds a subset of every font a PDF uses and keeps the glyph ids, so an
embedded face's tables run up to the highest glyph id used: in the 65,535-glyph Noto CJK
collection a sheet's characters reach ids of 40,000 and more, and each face (regular and
bold) cost ~770 KB to subset and compress in every PDF. The same outlines cut to GB 2312
and ASCII (HarfBuzz, ~0.1 s a face) have low ids and cost a fraction; a character outside
that set falls back to the full system font through the font-family list."""

from __future__ import annotations

import ctypes.util
import functools
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

SOURCE_FAMILY = "Noto Sans CJK SC"
CHARSET_VERSION = "gb2312-ascii-1"  # in the cache key: change it when the set changes

_HB_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
void hb_blob_destroy (hb_blob_t *blob);
const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t *hb_face_reference_blob (hb_face_t *face);
hb_subset_input_t *hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set (hb_subset_input_t *input);
void hb_set_add (hb_set_t *set, uint32_t codepoint);
hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""


def _codepoints() -> list[int]:
    """ASCII and every character of GB 2312 (its symbols, punctuation and 6,763 hanzi)."""
    points = set(range(0x20, 0x7F))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(points)


def _source(bold: bool) -> tuple[str, int] | None:
    """The system font file and face index fontconfig picks for the family."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    pattern = f"{SOURCE_FAMILY}:weight={'bold' if bold else 'regular'}"
    out = subprocess.run(  # noqa: S603  (fixed arguments, no user input)
        [fc_match, "-f", "%{file}\t%{index}\t%{family[0]}", pattern],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout
    path, index, family = out.split("\t")
    return (path, int(index)) if family == SOURCE_FAMILY else None


def _subset(path: str, index: int, codepoints: list[int]) -> bytes:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(_HB_CDEF)
    hb = ffi.dlopen(ctypes.util.find_library("harfbuzz-subset") or "libharfbuzz-subset.so.0")
    blob = ffi.gc(hb.hb_blob_create_from_file_or_fail(path.encode()), hb.hb_blob_destroy)
    if blob == ffi.NULL:
        raise OSError(f"HarfBuzz could not read {path}")
    face = ffi.gc(hb.hb_face_create(blob, index), hb.hb_face_destroy)
    request = ffi.gc(hb.hb_subset_input_create_or_fail(), hb.hb_subset_input_destroy)
    unicodes = hb.hb_subset_input_unicode_set(request)
    for point in codepoints:
        hb.hb_set_add(unicodes, point)
    cut = hb.hb_subset_or_fail(face, request)
    if cut == ffi.NULL:
        raise OSError(f"HarfBuzz could not subset {path}")
    cut = ffi.gc(cut, hb.hb_face_destroy)
    data = ffi.gc(hb.hb_face_reference_blob(cut), hb.hb_blob_destroy)
    length = ffi.new("unsigned int *")
    pointer = hb.hb_blob_get_data(data, length)
    return bytes(ffi.buffer(pointer, length[0]))


def cache_dir() -> Path:
    """Per user, so no other account on the machine can plant the font read."""
    return Path(tempfile.gettempdir()) / f"portal-pdf-fonts-{os.getuid()}"


@functools.cache
def compact_font(bold: bool = False) -> Path | None:
    """The compact face's file, built on first use and kept on disk (keyed by the source
    file, so a font update builds a new one); None where it cannot be made (no fontconfig,
    no Noto CJK SC, no HarfBuzz subsetter): the PDFs then use the system font."""
    try:
        source = _source(bold)
        if source is None:
            return None
        path, index = source
        stat = os.stat(path)
        key = f"{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}|{CHARSET_VERSION}"
        folder = cache_dir()
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.lstat().st_uid != os.getuid():
            raise OSError(f"{folder} belongs to another user")
        target = folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.otf"
        if not target.exists():
            data = _subset(path, index, _codepoints())
            # Written aside and renamed: a process reading it never sees half a font.
            fd, partial = tempfile.mkstemp(dir=folder, suffix=".part")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(partial, target)
        return target
    except (OSError, ValueError, subprocess.SubprocessError):
        logger.warning("no compact PDF font; the PDFs embed the system CJK font", exc_info=True)
        return None
