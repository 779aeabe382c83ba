"""The audit trail of a project (``ProjectEvent``): append-only, hash-chained per project; the
queryset that refuses updates and deletes, shared with the ledger."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass

from projects.models.states import (
    State,
)

if TYPE_CHECKING:
    from projects.models.lifecycle import Project  # noqa: F401  # the "projects.Project" below


class AuditAppendOnlyError(Exception):
    """An audit row was about to be changed or deleted."""


class ChainedQuerySet(models.QuerySet[Any]):
    """Rows that are never changed or deleted, each sealed into its hash chain (per
    ``chain_field``, under a lock on the ``chain_parent`` row) as it is inserted."""

    chain_field: str
    refusal: tuple[type[Exception], str]  # what is raised on an update or a delete

    def chain_parent(self) -> type[models.Model]:
        raise NotImplementedError

    def update(self, **kwargs: Any) -> int:
        raise self.refusal[0](self.refusal[1])

    def delete(self) -> Any:
        raise self.refusal[0](self.refusal[1])

    def bulk_create(
        self,
        objs: Iterable[Any],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[Any]:
        """Inserted rows are sealed into their chains first (in the order given)."""
        from projects import audit

        rows = list(objs)
        with transaction.atomic(using=self.db):
            audit.seal(rows, chain_field=self.chain_field, parent=self.chain_parent())
            return super().bulk_create(
                rows,
                batch_size=batch_size,
                ignore_conflicts=ignore_conflicts,
                update_conflicts=update_conflicts,
                update_fields=update_fields,
                unique_fields=unique_fields,
            )


def _project_model() -> type[models.Model]:
    """``Project`` (defined in ``lifecycle``, which imports this module)."""
    from django.apps import apps

    return apps.get_model("projects", "Project")


class ProjectEventQuerySet(ChainedQuerySet):
    chain_field = "project_id"
    refusal = (AuditAppendOnlyError, "audit rows are append-only")

    def chain_parent(self) -> type[models.Model]:
        return _project_model()


class ProjectEvent(models.Model):
    """The audit trail: one row per transition (and per other recorded act), never edited.

    Each row is chained to the previous row of its project (``projects.audit``): ``hash`` covers
    its content and ``prev_hash``; both are set when it is saved, under the project's row lock.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("空表示系统自动"),
    )
    action = models.CharField(_("动作"), max_length=40)
    source = models.CharField(_("原状态"), max_length=20, choices=State.choices, blank=True)
    target = models.CharField(_("新状态"), max_length=20, choices=State.choices, blank=True)
    reason = models.TextField(_("理由"), max_length=2000, blank=True)
    # The system's own note on this step (a tally, "threshold met"), stored as a text code and
    # its parameters so each reader sees it in their language (``projects/texts.py``); ``reason``
    # holds only what a person wrote.
    # Nullable, no default: SQLite adds the column in place instead of rebuilding the table (a
    # rebuild would drop the append-only triggers on it).
    kind = models.CharField(_("说明类型"), max_length=60, null=True, blank=True)
    params = models.JSONField(_("说明参数"), null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    prev_hash = models.CharField(max_length=64, editable=False, default="")
    hash = models.CharField(max_length=64, editable=False, default="")

    objects = ProjectEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["created_at", "pk"]
        # the project's chain: its last event, found at once when the next one is sealed
        indexes = [models.Index(fields=["project", "id"], name="event_project_chain")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.action} {self.source}->{self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditAppendOnlyError("audit rows are append-only")
        from projects import audit

        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(ProjectEvent)):
            audit.seal([self], chain_field="project_id", parent=_project_model())
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditAppendOnlyError("audit rows are append-only")

    @property
    def note(self) -> str:
        """The system's note, in the active language."""
        from projects.texts import event_note_and_words

        return event_note_and_words(self.kind, self.params, self.reason)[0]

    @property
    def words(self) -> str:
        """What a person wrote (the reason, without an old row's system note)."""
        from projects.texts import event_note_and_words

        return event_note_and_words(self.kind, self.params, self.reason)[1]
