"""The worker's heartbeat: a task that does nothing, enqueued by the clock on every loop.

django-tasks-db records, for each task result, when it was enqueued and when a worker finished
it; no table of its own is needed. The newest ``enqueued_at`` of this task is the clock's
heartbeat, the newest ``finished_at`` of any task the worker's (ops/heartbeat.py).
"""

from __future__ import annotations

from django_tasks import task


@task()
def heartbeat() -> None:
    """Nothing to do: running it is the proof that a worker takes tasks from the queue."""
