"""Residency services: every change checks permission, writes the record (``ResidencyEvent``;
memberships also keep their simple-history rows), notifies and publishes on commit, in one
transaction. Views call these, never the models directly.

The modules: ``base`` (input cleaning, who may, audit rows, publishing), ``declarations``
(declare, approve, refuse), ``memberships`` (moving out, verification from the household
register), ``units`` (resident units) and ``roles`` (staff roles).
"""

from residents.services.base import MAX_REASON, STAFF_ROLES
from residents.services.declarations import (
    declaration_approve,
    declaration_create,
    declaration_refuse,
    photo_readable_by,
)
from residents.services.memberships import membership_end, verify_from_register
from residents.services.roles import role_end, role_grant
from residents.services.units import (
    unit_contribution_record,
    unit_create,
    unit_representative_add,
    unit_seat_grant,
)

__all__ = [
    "MAX_REASON",
    "STAFF_ROLES",
    "declaration_approve",
    "declaration_create",
    "declaration_refuse",
    "membership_end",
    "photo_readable_by",
    "role_end",
    "role_grant",
    "unit_contribution_record",
    "unit_create",
    "unit_representative_add",
    "unit_seat_grant",
    "verify_from_register",
]
