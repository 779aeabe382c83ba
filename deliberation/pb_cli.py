"""``yishi-pb FILE.pb [--rule RULE] [--json]``: the winners of a Pabulib election, without Django.

The rules are pure, so this command imports only :mod:`deliberation.pabulib` and
:mod:`deliberation.rules` (never Django): the whole process costs the interpreter's start, reading
the file and the rule. ``manage.py pb_outcome`` prints the same through the same functions.

Prints the selected project ids, one per line in selection order, or with ``--json`` the object
``{"selected": [...], "cost": "..."}`` (total cost as an exact decimal string). Without ``--rule``
the file's META ``rule`` is used when it is one this project implements. What the reader accepted
in a stated way (a vote naming a project twice, counted once) is reported on standard error as
``FILE: line N: ...``; a malformed file is refused with exit status 2 and the line named.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from deliberation import pabulib, rules


class PbError(Exception):
    """The file cannot be read or the rule cannot be applied; the message says why."""


def compute(path: str, rule: str | None) -> tuple[rules.RuleResult, list[pabulib.PabulibWarning]]:
    """Read ``path`` and apply ``rule`` (default: the file's META rule)."""
    try:
        election = pabulib.read(path, extras=False)  # the rules need no voter details
    except pabulib.PabulibError as exc:
        raise PbError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PbError(f"cannot read {path}: {exc}") from None
    try:
        result = rules.outcome(election, rule)
    except (rules.RuleError, ValueError) as exc:
        raise PbError(f"{path}: {exc}") from None
    return result, election.warnings


def render(result: rules.RuleResult, *, as_json: bool) -> list[str]:
    """The lines to print: one selected id per line, or the JSON object."""
    if as_json:
        payload = {
            "selected": list(result.selected),
            "cost": rules.decimal_string(result.total_cost),
        }
        return [json.dumps(payload, ensure_ascii=False)]
    return list(result.selected)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="yishi-pb",
        description="Compute the winning projects of a Pabulib .pb file under a budget rule.",
    )
    p.add_argument("path", help=".pb file")
    p.add_argument(
        "--rule",
        choices=rules.RULES,
        default=None,
        help="rule to apply (default: the file's META rule)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"selected": [...], "cost": "..."} instead of one id per line',
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result, warnings = compute(args.path, args.rule)
    except PbError as exc:
        print(f"yishi-pb: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"{args.path}: {warning}", file=sys.stderr)
    sys.stdout.write("".join(line + "\n" for line in render(result, as_json=args.json)))
    return 0


if __name__ == "__main__":  # pragma: no cover - ``python -m deliberation.pb_cli``
    sys.exit(main())
