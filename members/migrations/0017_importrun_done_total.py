from django.db import migrations


class Migration(migrations.Migration):
    """The run's progress under the names the shared leased job reads (`done` of `total`),
    so its `percent` is the job's own."""

    dependencies = [
        ("members", "0016_importrun_leased_job"),
    ]

    operations = [
        migrations.RenameField(model_name="importrun", old_name="processed_rows", new_name="done"),
        migrations.RenameField(model_name="importrun", old_name="total_rows", new_name="total"),
    ]
