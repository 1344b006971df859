"""Funds pages at the size of the seeded database `DATABASE_URL` points at (seed it with
`manage.py seed_demo --size district` first): median server time and SQL queries of
the district dashboard's funds figures (from the dashboards' cache, and right after a
write bumped the figures version), the funds overview of the district and of one
street (computed per request), a branch's funds page and the district's usage table
as Excel. Requests go through Django's test client as the demo login `district`.

    DATABASE_URL=postgres://.../portal_bench .venv/bin/python bench/funds.py [--requests 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from branches.models import Branch, Organization
    from resources.funds.models import Allocation, Spending

    settings.ALLOWED_HOSTS = ["*"]
    user = get_user_model().objects.get(username="district")
    district = user.staff_roles.get().organization
    street = Organization.objects.filter(parent=district).order_by("path").first()
    branch = Branch.objects.filter(organization__path__startswith=street.path).first()
    client = Client()
    client.force_login(user)

    def touch():
        Organization.objects.filter(pk__in=[district.pk, street.pk]).touch_figures()

    year = "?period=year"
    dashboard = reverse("reports:org_dashboard", args=[district.pk]) + year
    pages = [
        ("district dashboard (year), cached", dashboard, None),
        ("district dashboard (year), after a write", dashboard, touch),
        ("district funds overview", reverse("funds:area", args=[district.pk]), None),
        ("street funds overview", reverse("funds:area", args=[street.pk]), None),
        ("branch funds page", reverse("funds:branch", args=[branch.pk]), None),
        (
            "district usage table (Excel)",
            reverse("funds:area_usage", args=[district.pk]) + "?format=xlsx",
            None,
        ),
    ]
    print(
        f"{Branch.objects.count()} branches, {Allocation.objects.count()} allocations, "
        f"{Spending.objects.count()} spendings"
    )
    print(f"{'page':<44} {'median ms':>10} {'queries':>8}")
    for label, url, before in pages:
        assert client.get(url).status_code == 200, url  # warm
        times, queries = [], 0
        for _ in range(args.requests):
            if before:
                before()
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
            queries = len(ctx)
        print(f"{label:<44} {statistics.median(times):>10.1f} {queries:>8}")


if __name__ == "__main__":
    main()
