"""A background job kept in a row (the rollout import jobs, the batch prints, the roster
import's steps): what the job is and how far it got live in its row, and a Celery task
taking the row's id runs it (the roster import runs its steps in the request instead).

The worker claims the row with one conditional UPDATE that gives it a new token and a
lease, so two workers never run one job (a task delivered twice runs once), and a job
whose worker was stopped (its lease ran out) is taken again. Every later write of that
worker goes through its token and extends the lease; once it touches nothing the job is
no longer the worker's own and it stops. Without a broker (the zero-setup demo) nothing
is queued: the job's page runs the job in its request while it polls the progress.
"""

from __future__ import annotations

import datetime
import logging
import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import broker

logger = logging.getLogger("portal.jobs")


class LeasedJob(models.Model):
    """The claim's fields. A subclass has its own `state`, `done` of `total`, `current`
    (what is being handled now) and `finished_at`, and names the states its worker runs
    in and those in which the job is not over yet (waiting or running)."""

    RUNNING_STATES: tuple[str, ...] = ()
    LIVE_STATES: tuple[str, ...] = ()
    # What a finish resets besides the lease (a subclass without `current` says {}).
    FINISH_VALUES: dict = {"current": ""}

    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when this run started
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE_STATES

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0

    @property
    def is_stranded(self) -> bool:
        """Running, but nobody has extended the lease: its worker was stopped."""
        return (
            self.state in self.RUNNING_STATES
            and self.lease_until is not None
            and self.lease_until < timezone.now()
        )

    @classmethod
    def stranded(cls, now=None) -> Q:
        """The jobs `is_stranded` names, as a filter."""
        return Q(state__in=cls.RUNNING_STATES, lease_until__lt=now or timezone.now())

    @staticmethod
    def release_values(*, restart: bool = False) -> dict:
        """The values that take a job from its worker by hand (a person's retry or discard
        of a stranded job): no token left for a worker that wakes to write through, no
        lease running. A job started over also forgets when its last run started."""
        values = {"claim_token": None, "lease_until": None}
        if restart:
            values["claimed_at"] = None
        return values


class Claim:
    """One worker's hold on one job: every write goes through the token."""

    def __init__(self, model, job_id: int, token: uuid.UUID, lease: datetime.timedelta):
        self.model, self.job_id, self.token, self.lease = model, job_id, token, lease

    @classmethod
    def take(cls, jobs, job_id: int, *, waiting, running, lease, now=None, resume=True, **values):
        """Hold the job if it is `waiting` (one state or several), or `running` with its
        lease run out (unless not to `resume` it: then the person decides what becomes of
        a stranded job): moved to `running` (with `values`) for a new token. None if
        another worker holds it."""
        now = now or timezone.now()
        token = uuid.uuid4()
        free = Q(state__in=[waiting] if isinstance(waiting, str) else waiting)
        if resume:
            free |= Q(state=running, lease_until__lt=now)
        claimed = jobs.filter(free, pk=job_id).update(
            state=running,
            claim_token=token,
            lease_until=now + lease,
            claimed_at=now,
            attempts=F("attempts") + 1,
            **values,
        )
        return cls(jobs.model, job_id, token, lease) if claimed else None

    def ours(self):
        return self.model.objects.filter(
            pk=self.job_id, claim_token=self.token, state__in=self.model.RUNNING_STATES
        )

    def beat(self, **values) -> bool:
        """Extend the lease (and store `values`); False if the job is no longer ours."""
        return bool(self.ours().update(lease_until=timezone.now() + self.lease, **values))

    def finish(self, state, **values) -> bool:
        return bool(
            self.ours().update(
                state=state,
                lease_until=None,
                finished_at=timezone.now(),
                **{**self.model.FINISH_VALUES, **values},
            )
        )


def runs_inline() -> bool:
    """No broker: the job's page runs the job in its request."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def publish(task, job_id: int) -> None:
    """Queue the job's task; with the broker down the job stays waiting in its row, for
    the beat's sweep of stranded jobs."""
    broker.publish(task.name, args=[job_id], what=f"{task.name} {job_id}", log=logger)


def enqueue(task, job_id: int) -> None:
    """Queue the job once the current transaction commits (not without a broker: the
    page runs it then)."""
    if not runs_inline():
        transaction.on_commit(lambda: publish(task, job_id), robust=True)
