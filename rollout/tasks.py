"""The rollout room's Celery tasks (Celery's autodiscovery imports `<app>.tasks`)."""

from .jobs.tasks import import_job, resume_import_jobs
from .staff.tasks import send_activation_links

__all__ = ["import_job", "resume_import_jobs", "send_activation_links"]
