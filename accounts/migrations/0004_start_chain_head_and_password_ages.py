from django.db import migrations
from django.utils import timezone

GENESIS = "0" * 64


def forwards(apps, schema_editor):
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    AuditHead = apps.get_model("accounts", "AuditHead")
    User = apps.get_model("accounts", "User")
    last = AuditEntry.objects.order_by("-pk").first()
    first = AuditEntry.objects.order_by("pk").first()
    AuditHead.objects.update_or_create(
        pk=1,
        defaults={
            "last_pk": last.pk if last else 0,
            "last_hash": last.hash if last else GENESIS,
            # Entries written before the head existed link back to whatever they link to.
            "anchor_pk": first.pk - 1 if first else 0,
            "anchor_hash": first.prev_hash if first else GENESIS,
            "pruned": 0,
        },
    )
    # Passwords set before the policy existed start their age today.
    User.objects.filter(password_changed_at__isnull=True).update(password_changed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_password_policy_sessions_lockout_chain_head")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
