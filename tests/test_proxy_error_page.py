"""The page the reverse proxy shows when the application does not answer (README,
Deploying: nginx error_page 502 503 504): Chinese, and needing nothing from the
application (no stylesheet, script or image of its own)."""

import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings

PAGE = Path(settings.BASE_DIR) / "static" / "errors" / "busy.html"


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


def test_the_proxy_error_page_is_chinese_and_self_contained():
    parser = Visible()
    parser.feed(PAGE.read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    assert '<html lang="zh-hans">' in PAGE.read_text(encoding="utf-8")
    assert "系统正忙" in text
    assert re.findall(r"[A-Za-z]{2,}", text) == []
    assert parser.fetches == []
