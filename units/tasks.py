"""Celery tasks of the units room; autodiscovery imports this module, each subject keeps
its own tasks module."""

from .feedback import tasks as feedback_tasks  # noqa: F401
