"""Execution everyone can follow (限时办结) and acceptance (验收): the writes people make. The
modules: ``milestones``, ``progress``, ``acceptance``, ``clock`` (and ``base``, what they share).

- :func:`milestones_plan`: the clerk's milestones, planned at assessment (before work starts).
- :func:`progress_post`: the clerk's progress during execution (percent, text, photos tagged
  施工前/施工中/施工后, contractor), on the timeline and to the project's followers.
- :func:`acceptance_name_representatives`: the council names resident representatives.
- :func:`acceptance_sign`: one inspector's signature (pass, or fail with reasons; a check per
  checklist item with a note and a photo). The count decides once every inspector has signed:
  **accepted when more than the community's share (``Community.acceptance_passes``, by default
  one half) of the inspectors signed pass**, otherwise not accepted — the
  project goes back to execution with the fail reasons on the record, and the clerk requests
  acceptance again (a new round, same inspectors) when the work is put right.
- :func:`execution_late_due`: the clock (``manage.py tick``) warns the clerk once per late
  milestone and escalates a project past its planned completion to the committee and the
  street supervisors (notification and audit row; the clerk's 实施 task is due at the planned
  completion, so the workflow's own timers remind and escalate it too).
"""

from deliberation.execution.acceptance import (
    CheckInput,
    acceptance_name_representatives,
    acceptance_sign,
    acceptance_tally,
)
from deliberation.execution.base import (
    MAX_MILESTONES,
    MAX_PROGRESS_PHOTOS,
    PLANNING_STATES,
)
from deliberation.execution.clock import (
    execution_late_due,
)
from deliberation.execution.milestones import (
    REVISION_ACTIONS,
    MilestoneInput,
    MilestoneRevision,
    milestones_plan,
    milestones_revise,
    parse_milestones,
    parse_revision,
)
from deliberation.execution.progress import (
    PhotoInput,
    progress_post,
)

__all__ = [
    "MAX_MILESTONES",
    "MAX_PROGRESS_PHOTOS",
    "PLANNING_STATES",
    "REVISION_ACTIONS",
    "CheckInput",
    "MilestoneInput",
    "MilestoneRevision",
    "PhotoInput",
    "acceptance_name_representatives",
    "acceptance_sign",
    "acceptance_tally",
    "execution_late_due",
    "milestones_plan",
    "milestones_revise",
    "parse_milestones",
    "parse_revision",
    "progress_post",
]
