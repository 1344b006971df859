"""Checks of a notice's or a reply's files: what the browser says is never trusted, the
name's extension says what the file claims to be and its first bytes must agree (a
script renamed .pdf, an HTML page renamed .docx are refused). Files are stored under a
random name and only ever served as downloads (notices.views)."""

from __future__ import annotations

import zipfile

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

# Extension -> (content type, accepted first bytes).
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc (Word 97-2003)
ZIP = b"PK\x03\x04"  # .docx (checked further: it must hold a Word document)
KINDS = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "doc": ("application/msword", (OLE,)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (ZIP,),
    ),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
ACCEPT = ",".join(f".{ext}" for ext in KINDS)


def max_bytes() -> int:
    return getattr(settings, "NOTICE_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)


def max_files() -> int:
    return getattr(settings, "NOTICE_ATTACHMENT_MAX_FILES", 10)


def checked_upload(upload) -> str:
    """The content type of an acceptable upload; a ValidationError in Chinese otherwise."""
    limit = max_bytes()
    if upload.size > limit:
        raise forms.ValidationError(
            _("“%(name)s” is too large (%(size)s MB); at most %(limit)s MB.")
            % {
                "name": upload.name,
                "size": round(upload.size / 1048576, 1),
                "limit": limit // 1048576,
            }
        )
    if upload.size == 0:
        raise forms.ValidationError(_("“%(name)s” is empty.") % {"name": upload.name})
    ext = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if ext not in KINDS:
        raise forms.ValidationError(
            _("“%(name)s”: only PDF, Word (DOC, DOCX), JPG or PNG files can be attached.")
            % {"name": upload.name}
        )
    content_type, magic = KINDS[ext]
    head = upload.read(16)
    upload.seek(0)
    disguised = forms.ValidationError(
        _("“%(name)s” is not really a %(type)s file (its content does not match its name).")
        % {"name": upload.name, "type": ext.upper()}
    )
    if not head.startswith(magic):
        raise disguised
    if ext == "docx":
        try:
            with zipfile.ZipFile(upload) as archive:
                if "word/document.xml" not in archive.namelist():
                    raise disguised
        except zipfile.BadZipFile as error:
            raise disguised from error
        finally:
            upload.seek(0)
    if content_type.startswith("image/"):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(upload) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            raise forms.ValidationError(
                _("“%(name)s”: the image is damaged or incomplete.") % {"name": upload.name}
            ) from error
        finally:
            upload.seek(0)
    return content_type
