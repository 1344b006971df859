"""python manage.py import_units FILE.xlsx --node CODE [--dry-run] [--user NAME]

Imports original units (by 统一社会信用代码): all rows or none (rollout.management.base)."""

from rollout.management.base import ImportCommand


class Command(ImportCommand):
    help = "Import original units (by 统一社会信用代码) from a workbook: all rows or none."
    kind_name = "units"
