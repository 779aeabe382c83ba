"""Heartbeats of the two background processes, read by ``/readyz``.

- The clock (``manage.py tick --loop 30``) calls :func:`clock_beat` on every loop: it enqueues
  :func:`ops.tasks.heartbeat` (its ``enqueued_at`` is the clock's heartbeat) and removes the
  finished heartbeat results older than an hour, so they never pile up.
- The worker (``manage.py db_worker``) runs that task within a second or so: the newest
  ``finished_at`` of any task result is the worker's heartbeat.

With a task backend that is not django-tasks-db (the tests' immediate backend) there is nothing
to read: both checks say so and pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone
from django_tasks import task_backends

from ops.tasks import heartbeat

HEARTBEAT_TASK = heartbeat.module_path
KEEP = timedelta(hours=1)


def uses_database_backend() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def clock_beat() -> None:
    """One heartbeat of the clock (and, once a worker runs it, of the worker)."""
    heartbeat.enqueue()
    if uses_database_backend():
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(
            task_path=HEARTBEAT_TASK, finished_at__lt=timezone.now() - KEEP
        ).delete()


def clock_last_beat() -> datetime | None:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=HEARTBEAT_TASK).aggregate(at=Max("enqueued_at"))[
        "at"
    ]


def worker_last_beat() -> datetime | None:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.aggregate(at=Max("finished_at"))["at"]
