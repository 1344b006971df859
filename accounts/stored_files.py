"""Stored files (uploads, print results) on Django's default storage: the local disk in
the demo, a private S3 bucket in production (settings.STORAGE_BACKEND).

Every download goes through a scoped view, which checks the scope and audits first and
then hands the file out here: streamed from the storage, or (S3_DOWNLOADS=redirect) as a
302 to a presigned URL valid S3_PRESIGNED_SECONDS. A store that is down or frozen gives a
Chinese error page within the bounded timeouts instead of a hanging request.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template import loader
from django.utils.http import content_disposition_header

logger = logging.getLogger("portal.storage")

try:  # botocore comes with django-storages[s3] (requirements.txt)
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover
    BotoCoreError = ClientError = OSError

# What a store that is down, frozen or refusing raises through the storage API.
STORE_ERRORS = (OSError, BotoCoreError, ClientError)


def is_missing(error: Exception) -> bool:
    if isinstance(error, FileNotFoundError):
        return True
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in {"404", "NoSuchKey", "NotFound"}
    return False


def store_unavailable(request) -> HttpResponse:
    """503 in the site's style: the file store did not answer in time."""
    response = HttpResponse(
        loader.render_to_string("storage_unavailable.html", request=request), status=503
    )
    response["Retry-After"] = "60"
    return response


def presigned_redirects() -> bool:
    return settings.STORAGE_BACKEND == "s3" and settings.S3_DOWNLOADS == "redirect"


def download(
    request,
    name: str,
    *,
    content_type: str,
    filename: str,
    as_attachment: bool = True,
) -> HttpResponse:
    """The stored file `name` for a caller that has checked the scope and audited the
    download: a presigned redirect or a streamed response; 404 if it is gone, 503 if
    the store does not answer."""
    if not name:
        raise Http404
    if presigned_redirects():
        disposition = content_disposition_header(as_attachment, filename)
        url = default_storage.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
            expire=settings.S3_PRESIGNED_SECONDS,
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "no-store"
        return response
    try:
        handle = default_storage.open(name, "rb")
        # Fetch now, not while streaming: a failing store still gets an error page
        # rather than a response cut off after its headers.
        handle.read(0)
    except STORE_ERRORS as error:
        if is_missing(error):
            raise Http404 from None
        logger.warning("file store unavailable for %s: %s", name, error)
        return store_unavailable(request)
    response = FileResponse(
        handle, content_type=content_type, as_attachment=as_attachment, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def delete_quietly(name: str) -> bool:
    """Delete a stored file; a store that is down leaves it (logged), never an error
    for the write that has already committed."""
    if not name:
        return False
    try:
        default_storage.delete(name)
    except STORE_ERRORS as error:
        logger.error("stored file %s not deleted: %s", name, error)
        return False
    return True


def delete_on_commit(name: str) -> None:
    """Delete a stored file once the transaction that dropped its row commits."""
    if name:
        transaction.on_commit(lambda: delete_quietly(name))


def delete_file_of_row(sender, instance, **kwargs) -> None:
    """post_delete receiver for models with a `file` field: the object leaves the store
    with its row (after the commit, so a rolled-back delete keeps it)."""
    delete_on_commit(instance.file.name)


PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}


def probe() -> list[str]:
    """What is wrong with the default storage, for deployment checks (empty: nothing).
    It must take a write, give it back and delete it; on S3 the object must be private:
    no public grant in its ACL and an unsigned GET refused."""
    import urllib.error
    import urllib.request
    import uuid

    from django.core.files.base import ContentFile

    content = b"portal storage probe"
    problems = []
    try:
        name = default_storage.save(f"checks/probe-{uuid.uuid4().hex}.txt", ContentFile(content))
    except STORE_ERRORS as error:
        return [f"the storage refuses a write: {error}"]
    try:
        with default_storage.open(name, "rb") as stored:
            if stored.read() != content:
                problems.append("the storage gives back something else than was written")
        if settings.STORAGE_BACKEND == "s3":
            key = default_storage._normalize_name(name)
            client = default_storage.connection.meta.client
            acl = client.get_object_acl(Bucket=default_storage.bucket_name, Key=key)
            if any(g["Grantee"].get("URI") in PUBLIC_GROUPS for g in acl["Grants"]):
                problems.append("stored objects are public (their ACL grants everyone)")
            unsigned = default_storage.url(name).split("?", 1)[0]
            try:
                urllib.request.urlopen(unsigned, timeout=5).close()  # noqa: S310
                problems.append("an unsigned GET reads a stored object (bucket policy public)")
            except urllib.error.HTTPError as refused:
                if refused.code not in (401, 403):
                    problems.append(f"an unsigned GET answered {refused.code}, not 403")
    except STORE_ERRORS as error:
        problems.append(f"the storage does not give a written file back: {error}")
    finally:
        if not delete_quietly(name):
            problems.append("the storage does not delete a file")
    return problems
