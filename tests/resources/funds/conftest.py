"""Funds fixtures on the standing cast: branch_a (翠园社区, 和平街道, 东城区)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from resources.funds import services
from resources.funds.models import FundSource, SpendingCategory

D = Decimal


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(name="发票.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name="发票.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def category(cast, name="学习资料"):
    return SpendingCategory.objects.get(district=cast.district_a, name=name)


def this_year() -> int:
    return timezone.localdate().year


def day(month=1, dd=5) -> datetime.date:
    return min(datetime.date(this_year(), month, dd), timezone.localdate())


def grant(cast, amount, *, branch=None, year=None):
    return services.allocation_grant(
        branch=branch or cast.branch_a,
        year=year or this_year(),
        source=FundSource.BUREAU,
        amount=D(amount),
        granted_on=day() if year in (None, this_year()) else datetime.date(year, 1, 1),
        by_node=cast.district_a,
        actor=cast.user("district_staff"),
    )


def spend(
    cast, amount, *, name="学习资料", branch=None, actor="branch_secretary", uploads=(), on=None
):
    return services.spending_record(
        branch=branch or cast.branch_a,
        spent_on=on or day(),
        amount=D(amount),
        category=category(cast, name),
        purpose="购买学习读本",
        uploads=uploads,
        actor=cast.user(actor),
    )
