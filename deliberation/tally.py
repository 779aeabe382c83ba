"""The public tally of an evaluation round: counts, turnout, satisfaction and whether it passes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any


@dataclass(frozen=True)
class Tally:
    round: int
    eligible: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    pass_rate: Decimal
    min_turnout: Decimal

    @property
    def votes(self) -> int:
        return self.satisfied + self.basically_satisfied + self.dissatisfied

    @property
    def satisfaction(self) -> Fraction:
        return (
            Fraction(self.satisfied + self.basically_satisfied, self.votes)
            if self.votes
            else Fraction(0)
        )

    @property
    def turnout(self) -> Fraction:
        return Fraction(self.votes, self.eligible) if self.eligible else Fraction(0)

    @property
    def passed(self) -> bool:
        # exact: an integer times a Decimal with three places is exact, so these compare
        # votes / eligible >= min_turnout and content / votes >= pass_rate without division
        votes = self.votes
        turnout_met = (
            votes >= self.eligible * self.min_turnout if self.eligible else self.min_turnout <= 0
        )
        return (
            votes > 0
            and turnout_met
            and self.satisfied + self.basically_satisfied >= votes * self.pass_rate
        )

    def as_dict(self) -> dict[str, Any]:
        votes = self.votes
        content = self.satisfied + self.basically_satisfied
        return {
            "round": self.round,
            "eligible": self.eligible,
            "votes": votes,
            "satisfied": self.satisfied,
            "basically_satisfied": self.basically_satisfied,
            "dissatisfied": self.dissatisfied,
            "satisfaction": f"{content / votes if votes else 0:.4f}",
            "turnout": f"{votes / self.eligible if self.eligible else 0:.4f}",
            "pass_rate": str(self.pass_rate),
            "min_turnout": str(self.min_turnout),
            "passing": self.passed,
        }
