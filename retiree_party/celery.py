"""Celery application. Beat uses Celery's own schedule (settings.CELERY_BEAT_SCHEDULE)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_party.settings")

app = Celery("retiree_party")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
