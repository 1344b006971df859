"""No English in the Chinese UI (issue 13, item 7).

Every GET page of the URL x role matrix is rendered in Chinese as each role that reaches
it (and the 403 page as each role that is refused), and its visible text, including the
title and the text of tooltips, labels, placeholders and buttons, may hold no Latin-letter
word outside a short allow-list.
"""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from .otp import login_as
from .security.matrix import ROLES
from .security.test_url_matrix import SPECS

# Names of formats and marks that Chinese users read as they are, and the switch to English.
ALLOWED = {
    *("PDF", "Excel", "CSV", "xlsx", "JPG", "PNG", "QR", "TOTP", "MB"),
    *("Word", "DOC", "DOCX"),  # the file formats a notice's attachment may have
    "Ctrl",  # the key, as printed on it (按 Ctrl+P 打印)
    "Webhook",  # what the group robots of WeCom, DingTalk and Feishu call their address
    "English",
}
# Attributes a user reads (or hears from a screen reader).
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
# A word of two or more Latin letters; a token that also holds digits (a code, an id) or
# is an e-mail address is data, not wording.
TOKEN = re.compile(r"[A-Za-z0-9_@.\-]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


class VisibleText(HTMLParser):
    """The text a user sees or hears: no script, style or hidden input."""

    SKIPPED = {"script", "style", "template"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.stack = []  # (tag, skipped) of the open elements

    def _skipping(self):
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        # translate="no" (HTML) marks what is not wording: a path, a field name, a token.
        skipped = tag in self.SKIPPED or attrs.get("translate") == "no"
        if not skipped and not self._skipping():
            self.parts += [attrs[name] or "" for name in READ_ATTRIBUTES if name in attrs]
            if tag == "input" and attrs.get("type") in {"submit", "button", "reset"}:
                self.parts.append(attrs.get("value") or "")
        if tag not in self.VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        # Close up to the matching element (browsers forgive unclosed <p> and <li>).
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._skipping():
            self.parts.append(data)


def latin_words(html: str, data: frozenset = frozenset()) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    words = set()
    for token in TOKEN.findall(" ".join(parser.parts)):
        token = token.strip("_.-@")
        if not LATIN_WORD.search(token) or any(ch.isdigit() for ch in token) or "@" in token:
            continue
        if token not in ALLOWED and token not in data:
            words.add(token)
    return words


def test_the_scan_sees_text_attributes_and_buttons_but_not_scripts():
    html = (
        '<title>Home</title><script>var x = "code";</script><style>p{color:red}</style>'
        '<p>会议 <b>Meeting</b></p><a aria-label="Open menu">菜单</a>'
        '<input type="submit" value="Save"><input type="hidden" value="secret">'
        '<button lang="en">English</button><p lang="en">Sorry</p><p>PDF · A12 · 2026-01-01</p>'
    )
    assert latin_words(html) == {"Home", "Meeting", "Open", "menu", "Save", "Sorry"}


def test_the_scan_skips_what_is_marked_as_not_to_be_translated():
    html = '<p>接口 <code translate="no">GET /api/v1/me/</code> <b translate="yes">Me</b></p>'
    assert latin_words(html) == {"Me"}


def _urls(spec, cast):
    url = reverse(spec.name, kwargs=spec.kwargs(cast))
    if query := spec.query(cast):
        url += f"?{query}"
    return url


GET_SPECS = [spec for spec in SPECS if spec.ok or spec.forbidden]


@pytest.mark.parametrize("spec", GET_SPECS, ids=lambda s: s.name)
def test_every_page_speaks_chinese_to_every_role(spec, cast, client):
    url = _urls(spec, cast)
    # The cast's user names are data (an account with no full name shows its user name).
    data = frozenset(user.username for user in cast.users.values())
    found = {}
    for role in ROLES:
        if spec.expected(role) not in (200, 403):
            continue
        client.logout()
        login_as(client, cast.user(role), key=role)
        response = client.get(url)
        assert response.status_code == spec.expected(role), role
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        if words := latin_words(response.content.decode(), data):
            found[role] = sorted(words)
    assert not found, f"{url}: role -> Latin words on the page: {found}"
