"""The UI is Chinese first: every catalog entry is translated, none is fuzzy."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

BASE = Path(settings.BASE_DIR)
CATALOGS = [
    *sorted(BASE.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")),
    # Apps one level down (resources.funds, resources.places).
    *sorted(BASE.glob("resources/*/locale/zh_Hans/LC_MESSAGES/django.po")),
    BASE / "locale/zh_Hans/LC_MESSAGES/django.po",
]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(BASE)))
def test_every_catalog_entry_is_translated(path):
    po = polib.pofile(str(path))
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def test_the_site_speaks_chinese_by_default_and_english_on_request(db):
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert "离退休干部党建工作平台" in page
    assert "登录" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert "Retiree Party Work Platform" in page
    translation.activate(settings.LANGUAGE_CODE)


def test_an_english_browser_still_gets_chinese_until_the_switch_is_used(db):
    client = Client(headers={"accept-language": "en-US,en;q=0.9"})
    assert "离退休干部党建工作平台" in client.get("/accounts/login/").content.decode()
