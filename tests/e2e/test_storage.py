"""Stored files on S3 in the browser, on a 375 px phone in 大字版 and at 1280 px: street
A's staff download a receipt streamed through the portal, then through a presigned
redirect (the browser follows it to the store); with the store frozen the same link
shows a Chinese page within the timeouts."""

import os
import signal
import time

import pytest
from django.urls import reverse

from ..conftest import build_cast, use_s3
from ..factories import PASSWORD
from ..resources.funds.conftest import grant, png, spend
from .conftest import axe_violations, no_sideways_scroll, screenshot
from .test_funds import SIZES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services("postgres", "chromium", "s3"),
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_receipt_downloads_from_s3_and_a_frozen_store_shows_a_chinese_page(
    browser, live_server, transactional_db, axe_source, size, settings, s3_server, s3_bucket
):
    use_s3(settings, s3_server, s3_bucket, connect_timeout=1, read_timeout=1, max_attempts=1)
    cast = build_cast()
    grant(cast, "500.00")
    receipt = spend(cast, "12.00", uploads=[(png(), "image/png")]).receipts.get()
    user = cast.user("street_staff")
    if size == "375-large":
        user.large_mode = True
        user.save(update_fields=["large_mode"])
    context = browser.new_context(bypass_csp=True, accept_downloads=True, **SIZES[size])
    context.set_default_timeout(20_000)
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "street_staff")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")
    url = f"{base}{reverse('funds:receipt', args=[receipt.pk])}"

    streamed = context.request.get(url)
    assert streamed.status == 200 and streamed.body().startswith(b"\x89PNG")

    settings.S3_DOWNLOADS = "redirect"
    redirected = context.request.get(url)  # follows the 302 to the store
    assert redirected.url.startswith(f"{s3_server.url}/{s3_bucket}/")
    assert redirected.status == 200 and redirected.body() == streamed.body()

    settings.S3_DOWNLOADS = "stream"
    os.kill(s3_server.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = page.goto(url)
        elapsed = time.monotonic() - started
    finally:
        s3_server.resume()
    assert response.status == 503 and elapsed < 8, elapsed
    assert page.locator("h1").inner_text() == "文件暂时无法取回"
    assert no_sideways_scroll(page)
    assert axe_violations(page, axe_source) == []
    screenshot(page, f"storage-{size}-unavailable")
    context.close()
