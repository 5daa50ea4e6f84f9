"""Cross-row and cross-file checks of a loan tape: duplicates, unknown ids, row rules,
given schedules and pauses. Every problem names the file, the row and the column."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import polars as pl

from faircollect.adapters.tape_columns import Problems, typed_text
from faircollect.domain.loans import Installment
from faircollect.domain.pauses import Pause, PauseKind, overlapping
from faircollect.kit.dates import add_months
from faircollect.kit.limits import MAX_SCHEDULE_MONTHS, excerpt

KnownIds = Callable[[list[str]], set[str]]


@dataclass(frozen=True, slots=True)
class TapePause:
    """A collection pause with the loan it belongs to."""

    pause_id: str
    loan_id: str
    pause: Pause


def duplicates(
    file: str, frame: pl.DataFrame, key: list[str], problems: Problems, *, quote: bool = True
) -> None:
    """Report rows whose `key` repeats an earlier row's (quoting it unless `quote` is false)."""
    dup = frame.filter(pl.struct(key).is_duplicated())
    for row in dup.select("_row", *key).iter_rows():
        shown = f" ({', '.join(excerpt(str(part)) for part in row[1:])})" if quote else ""
        problems.add(f"{file} row {row[0]}, column {key[-1]}: duplicate id{shown}")


def unknown_ids(
    file: str,
    frame: pl.DataFrame,
    column: str,
    tape_ids: set[str],
    known: KnownIds,
    what: str,
    problems: Problems,
) -> None:
    """Report rows naming an id that is neither in the tape nor already stored."""
    wanted = set(frame[column].unique().to_list()) - tape_ids
    missing = wanted - known(sorted(wanted)) if wanted else set()
    if missing:
        bad = frame.filter(pl.col(column).is_in(sorted(missing)))
        for row, value in bad.select("_row", column).iter_rows():
            problems.add(f"{file} row {row}, column {column}: unknown {what} {excerpt(value)}")


def row_rules(
    file: str, frame: pl.DataFrame, problems: Problems, rules: list[tuple[pl.Expr, str, str]]
) -> None:
    """Report rows where a (condition, column, why) rule holds, quoting the value as typed."""
    for condition, column, why in rules:
        shown = typed_text(column) if typed_text(column) in frame.columns else column
        for row, value in (
            frame.filter(condition.fill_null(False)).select("_row", shown).iter_rows()
        ):
            problems.add(f"{file} row {row}, column {column}: {why} (value {excerpt(str(value))})")


def schedules_of(
    file: str, s: pl.DataFrame, loans: pl.DataFrame, problems: Problems
) -> dict[str, list[Installment]]:
    """Validate a given schedules file; return the instalments per loan."""
    duplicates(file, s, ["loan_id", "installment_no"], problems)
    unknown = s.filter(~pl.col("loan_id").is_in(loans["loan_id"].to_list()))
    for row, value in unknown.select("_row", "loan_id").iter_rows():
        problems.add(
            f"{file} row {row}, column loan_id: not a loan of this tape ({excerpt(value)})"
        )
    zero = s.filter(pl.col("principal_due") + pl.col("interest_due") + pl.col("fee_due") == 0)
    for (row,) in zero.select("_row").iter_rows():
        problems.add(
            f"{file} row {row}, column principal_due: instalment total must be greater than zero"
        )
    facts = {
        r["loan_id"]: r
        for r in loans.select("loan_id", "principal", "term", "disbursed_on").iter_rows(named=True)
    }
    result: dict[str, list[Installment]] = {}
    for (loan_id,), group in s.sort("loan_id", "installment_no").group_by(
        ["loan_id"], maintain_order=True
    ):
        fact = facts.get(str(loan_id))
        if fact is None:
            continue
        rows = [
            Installment(n, d, pr, it, fe)
            for n, d, pr, it, fe in group.select(
                "installment_no", "due_on", "principal_due", "interest_due", "fee_due"
            ).iter_rows()
        ]
        problem = _schedule_problem(str(loan_id), rows, fact)
        if problem:
            column, why = problem
            problems.add(
                f"{file} row {group['_row'][0]}, column {column}: loan {excerpt(str(loan_id))} {why}"
            )
        result[str(loan_id)] = rows
    return result


def _schedule_problem(
    loan_id: str, rows: list[Installment], fact: dict[str, Any]
) -> tuple[str, str] | None:
    if [r.number for r in rows] != list(range(1, fact["term"] + 1)):
        return "installment_no", f"needs instalments 1..{fact['term']}"
    dates = [fact["disbursed_on"], *(r.due_on for r in rows)]
    if any(a >= b for a, b in pairwise(dates)):
        return "due_on", "due dates must increase and follow disbursement"
    if dates[-1] > add_months(fact["disbursed_on"], MAX_SCHEDULE_MONTHS):
        return "due_on", f"falls due more than {MAX_SCHEDULE_MONTHS} months after disbursement"
    if sum(r.principal for r in rows) != fact["principal"]:
        return "principal_due", "principal does not add up to the contract principal"
    return None


def pauses_of(
    file: str, frame: pl.DataFrame, tape_loans: set[str], known: KnownIds, problems: Problems
) -> list[TapePause]:
    """Validate pauses (known loans, dates in order, no overlap); return them."""
    duplicates(file, frame, ["pause_id"], problems)
    unknown_ids(file, frame, "loan_id", tape_loans, known, "loan_id", problems)
    row_rules(
        file,
        frame,
        problems,
        [
            (pl.col("end_on") < pl.col("start_on"), "end_on", "is before start_on"),
        ],
    )
    result = [
        TapePause(pid, loan_id, Pause(PauseKind(kind), start, end))
        for pid, loan_id, kind, start, end in frame.select(
            "pause_id", "loan_id", "kind", "start_on", "end_on"
        ).iter_rows()
    ]
    by_loan: dict[str, list[tuple[int, Pause]]] = {}
    for row, item in zip(frame["_row"].to_list(), result, strict=True):
        by_loan.setdefault(item.loan_id, []).append((row, item.pause))
    for loan_id, items in by_loan.items():
        if overlapping([p for _, p in items]):
            problems.add(
                f"{file} row {items[0][0]}, column start_on: pauses of loan {excerpt(loan_id)} overlap"
            )
    return result
