"""The money ledger: every ledger write goes through here, under a row lock on the fund.

Balances are derived from the entries, never stored: each balance is the signed sum of the
entries that move it (``EFFECTS``), a reversal moving it back by the amount of the entry it
reverses. One grouped aggregate query computes a whole balance set, however many entries there
are (:func:`fund_balances`, :func:`project_balances`, :func:`statement_build`).

What lives where:

- :mod:`.balances` — the balance set and how each kind of entry moves it (pure arithmetic);
- :mod:`.selectors` — balances read in one aggregate query, a project's fund, street supervisors;
- :mod:`.policy` — what may happen to a project's money in which state, and who may do it;
- :mod:`.inputs` — parsing amounts, memos, years, dates, months and receipt uploads;
- :mod:`.services` — the supervisor's fund writes and the lifecycle's money (allocate, release,
  settle);
- :mod:`.bookkeeping` — the service center's expenditures, co-funding and reversals;
- :mod:`.statements` — the monthly public statement (公示栏) and a street's summary;
- :mod:`.export` — the statement as CSV (the only place CSV is written) and as API dicts.

Callers keep using ``from projects import ledger; ledger.allocate(...)``: the names are
re-exported here.
"""

from projects.ledger.balances import (
    BALANCE_NAMES,
    CENT,
    EFFECTS,
    IN_KIND_BALANCE,
    ZERO,
    Balances,
    FundBalances,
    ProjectBalances,
    entry_effects,
    money,
    sum_effects,
)
from projects.ledger.bookkeeping import (
    cofund_pledge,
    cofund_receive,
    entry_reverse,
    expenditure_record,
)
from projects.ledger.export import csv_safe, statement_as_dict, statement_csv, street_statement_csv
from projects.ledger.inputs import (
    MONTH_RE,
    RECEIPT_IMAGE_FORMATS,
    RECEIPT_MAX_BYTES,
    check_receipt,
    parse_amount,
    parse_month,
)
from projects.ledger.policy import (
    EXPENDITURE_STATES,
    NO_COFUNDING_STATES,
    REVERSIBLE_BY,
    SETTLED_STATES,
    SPENDING_STATES,
    clerk_money_actions,
)
from projects.ledger.selectors import (
    balances_by,
    balances_of,
    current_fund,
    fund_balances,
    is_reversed,
    project_balances,
    street_supervisor,
)
from projects.ledger.services import (
    allocate,
    appropriate,
    fund_carry_over,
    fund_create,
    release_advance,
    release_holdback,
    return_unreleased,
    settle,
)
from projects.ledger.statements import (
    CSV_COLUMNS,
    ProjectMonth,
    Statement,
    StatementLine,
    StreetRow,
    month_bounds,
    next_month,
    previous_month,
    statement_build,
    statement_months,
    street_statement,
)

__all__ = [
    "BALANCE_NAMES",
    "CENT",
    "CSV_COLUMNS",
    "EFFECTS",
    "EXPENDITURE_STATES",
    "IN_KIND_BALANCE",
    "MONTH_RE",
    "NO_COFUNDING_STATES",
    "RECEIPT_IMAGE_FORMATS",
    "RECEIPT_MAX_BYTES",
    "REVERSIBLE_BY",
    "SETTLED_STATES",
    "SPENDING_STATES",
    "ZERO",
    "Balances",
    "FundBalances",
    "ProjectBalances",
    "ProjectMonth",
    "Statement",
    "StatementLine",
    "StreetRow",
    "allocate",
    "appropriate",
    "balances_by",
    "balances_of",
    "check_receipt",
    "clerk_money_actions",
    "cofund_pledge",
    "cofund_receive",
    "csv_safe",
    "current_fund",
    "entry_effects",
    "entry_reverse",
    "expenditure_record",
    "fund_balances",
    "fund_carry_over",
    "fund_create",
    "is_reversed",
    "money",
    "month_bounds",
    "next_month",
    "parse_amount",
    "parse_month",
    "previous_month",
    "project_balances",
    "release_advance",
    "release_holdback",
    "return_unreleased",
    "settle",
    "statement_as_dict",
    "statement_build",
    "statement_csv",
    "statement_months",
    "street_statement",
    "street_statement_csv",
    "street_supervisor",
    "sum_effects",
]
