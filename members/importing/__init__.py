"""Importing 花名册 workbooks as communities really keep them, in three steps:

- reading: `read_plan(file, community=...)` streams the first sheet that has a header
  row (openpyxl read-only mode, so a 10,000-row file stays small in memory), finds the
  header row among the first rows (title and 填报单位 rows above it are skipped), and
  maps the Chinese headers and their usual variants in any order. Reading is bounded in
  rows (blank ones count), cells, unpacked size and seconds, checked on the raw XML
  before openpyxl parses anything: a small upload cannot hold a worker.
- checking: every cell normalised (full-width digits and spaces, dates in the usual
  spellings) and every row checked. Nothing is written: the plan (plan.ImportPlan) lists
  the members to create and update, and every error by Excel row and column header.
- writing: `members_import` writes a plan without errors, all at once.

A re-import changes only what the workbook carries: a column it lacks leaves the value,
an empty cell in a column it has clears it (CLEARED_BY_EMPTY_CELL, KEPT_WHEN_EMPTY).
The reader never imports the writer (an import-linter contract).
"""
