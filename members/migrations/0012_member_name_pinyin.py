"""Member names sort in pinyin order: an ICU collation on PostgreSQL (skipped elsewhere;
SQLite gets a collation of the same name per connection, see members.collation)."""

from django.contrib.postgres.operations import CreateCollation
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0011_encrypt_phone_address_rows"),
    ]

    operations = [
        CreateCollation("zh_pinyin", provider="icu", locale="zh-u-co-pinyin"),
        migrations.AlterField(
            model_name="member",
            name="name",
            field=models.CharField(db_collation="zh_pinyin", max_length=40, verbose_name="name"),
        ),
    ]
