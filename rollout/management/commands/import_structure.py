"""python manage.py import_structure FILE.xlsx --node CODE [--dry-run] [--user NAME]

Imports the organisation tree (districts, streets, communities by division code; the
statistics bureau's list as it is): all rows or none (rollout.management.base)."""

from rollout.management.base import ImportCommand


class Command(ImportCommand):
    help = "Import the organisation tree from a workbook (by division code): all rows or none."
    kind_name = "structure"
