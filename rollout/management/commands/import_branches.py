"""python manage.py import_branches FILE.xlsx --node CODE [--dry-run] [--user NAME]

Imports branches and their party groups: all rows or none (rollout.management.base)."""

from rollout.management.base import ImportCommand


class Command(ImportCommand):
    help = "Import branches and their party groups from a workbook: all rows or none."
    kind_name = "branches"
