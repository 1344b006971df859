"""The pages the reverse proxy shows itself (deploy/nginx/portal-proxy.conf): when the
application does not answer (502 503 504, and the log-in limit's 429) and for a too large
upload (413). Chinese, and needing nothing from the application (no stylesheet, script or
image of its own)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

ERRORS = Path(settings.BASE_DIR) / "static" / "errors"


class Visible(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.fetches, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag in ("link", "script", "img") and (attrs.get("href") or attrs.get("src")):
            self.fetches.append(tag)

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@pytest.mark.parametrize(
    ("page", "heading"), [("busy.html", "系统正忙"), ("too-large.html", "上传的文件太大")]
)
def test_the_proxy_error_page_is_chinese_and_self_contained(page, heading):
    markup = (ERRORS / page).read_text(encoding="utf-8")
    parser = Visible()
    parser.feed(markup)
    text = " ".join(parser.text)
    assert '<html lang="zh-hans">' in markup
    assert heading in text
    assert re.findall(r"[A-Za-z]{2,}", text) == []
    assert parser.fetches == []
