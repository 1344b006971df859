import pytest
from django.urls import reverse

from activities.messaging.channels import LoggingSmsBackend
from rollout.jobs.models import ImportJob

from ..conftest import upload

HEADER = ("姓名", "用户名", "手机号", "电子邮箱", "角色", "节点编码")
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def secretaries(cast, n: int) -> list[tuple]:
    """n branch secretaries of branch_a with mobiles, their user names left to the import."""
    return [
        (
            f"{SURNAMES[i % 30]}{'一二三四五六七八九十'[i // 30 % 10]}明",
            "",
            f"139{i:08d}",
            "",
            "支部书记",
            str(cast.branch_a.pk),
        )
        for i in range(n)
    ]


def import_rows(client, cast, rows, *, node=None):
    """The system administrator's import through the job's pages (inline, no broker):
    the job, done or invalid."""
    node = node or cast.city
    response = client.post(
        reverse("rollout_jobs:index"),
        {"kind": "staff", "node": node.pk, "file": upload([HEADER, *rows])},
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    job = ImportJob.objects.latest("pk")
    client.post(reverse("rollout_jobs:run", args=[job.pk]), HTTP_HX_REQUEST="true")
    job.refresh_from_db()
    return job


@pytest.fixture(autouse=True)
def _staff_settings(settings):
    LoggingSmsBackend.outbox.clear()
    settings.REMINDER_SITE_URL = "https://portal.example.cn"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: pages run jobs, links go at once
