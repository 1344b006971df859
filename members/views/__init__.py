"""Roster pages, one module per subject (roster, member, registrations, committees,
imports; shared holds what several use). Thin: resolve through the scope, validate with
a form, call a service."""
