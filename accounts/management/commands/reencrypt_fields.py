from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.crypto import encrypted_fields, hash_fields


class Command(BaseCommand):
    help = (
        "Rewrite every encrypted field under the current key (the first of "
        "FIELD_ENCRYPTION_KEYS) and recompute every keyed hash: run it after prepending a "
        "new encryption key or changing FIELD_HASH_KEY. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "models", nargs="*", help="only these models (app_label.Model); default: all"
        )
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args, models=(), batch=500, **options):
        total = 0
        chosen = [apps.get_model(label) for label in models] if models else apps.get_models()
        for model in chosen:
            fields = [f.name for f in encrypted_fields(model) + hash_fields(model)]
            if not fields:
                continue
            hashed = hash_fields(model)
            count = 0
            pks = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(pks), batch):
                with transaction.atomic():
                    rows = list(
                        model._base_manager.select_for_update()
                        .filter(pk__in=pks[start : start + batch])
                        .only("pk", *fields, *(f.source for f in hashed))
                    )
                    for row in rows:
                        # Reading decrypted with whichever key fits; saving encrypts with
                        # the first. Hash fields are recomputed from the plaintext.
                        for field in hashed:
                            setattr(row, field.attname, field.hash_of(getattr(row, field.source)))
                    model._base_manager.bulk_update(rows, fields)
                    count += len(rows)
            total += count
            self.stdout.write(f"{model._meta.label}: {count} rows rewritten ({', '.join(fields)})")
        self.stdout.write(self.style.SUCCESS(f"done: {total} rows"))
