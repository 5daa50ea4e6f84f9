"""Loan shards: the batch kernel's unit of work, as Arrow record batches with one row per loan.

A shard carries everything the replay needs for its loans, nested per loan (instalment rows,
payments, pauses as lists), so any split of a shard's rows is again a valid shard. That is what
lets one kernel run unchanged in process, in worker processes and on Spark's `mapInArrow`,
which may hand it the rows of a partition in batches of its own size.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from faircollect.domain.delinquency import BucketScheme
from faircollect.kernels.positions import (
    POSITION_COLUMNS,
    Ledger,
    check_bounds,
    compute_positions,
)
from faircollect.kernels.replay import I64

_INT = pa.int64()
ROW_TYPE = pa.struct(
    [(name, _INT) for name in ("lawful", "number", "due", "principal", "interest", "fee")]
)
PAY_TYPE = pa.struct([("day", _INT), ("amount", _INT)])
PAUSE_TYPE = pa.struct([("start", _INT), ("end", _INT)])
SHARD_SCHEMA = pa.schema(
    [
        ("loan_key", _INT),
        ("penalty_rate", _INT),
        ("lawful_penalty_rate", _INT),
        ("lawful_stored", pa.bool_()),
        ("allocation_order", pa.string()),
        ("rows", pa.list_(ROW_TYPE)),
        ("pays", pa.list_(PAY_TYPE)),
        ("pauses", pa.list_(PAUSE_TYPE)),
    ]
)
POSITIONS_SCHEMA = pa.schema(
    [("loan_key", _INT)]
    + [(name, pa.string() if name == "bucket" else _INT) for name in POSITION_COLUMNS]
)
DEFAULT_SHARD_LOANS = 50_000


class UnknownLoanError(ValueError):
    """Instalment, payment or pause rows that reference a loan the ledger does not hold."""


def to_shards(
    ledger: Ledger, as_of_day: int, shard_loans: int = DEFAULT_SHARD_LOANS
) -> list[pa.RecordBatch]:
    """The ledger as shards of at most `shard_loans` loans each, in loan-key order.

    The ledger is checked whole first (bounds, rows of unknown loans), so a bad ledger is
    refused before any runner starts.
    """
    if shard_loans < 1:
        raise ValueError("shard_loans must be at least 1")
    check_bounds(ledger, as_of_day)
    sort = np.argsort(ledger.loan_key, kind="stable")
    keys = ledger.loan_key[sort]
    nested = [
        _group(keys, ledger.row_loan_key, "instalment",
               [ledger.row_lawful, ledger.row_number, ledger.row_due, ledger.row_principal,
                ledger.row_interest, ledger.row_fee]),
        _group(keys, ledger.pay_loan_key, "payment", [ledger.pay_day, ledger.pay_amount]),
        _group(keys, ledger.pause_loan_key, "pause", [ledger.pause_start, ledger.pause_end]),
    ]  # fmt: skip
    loans = [
        keys,
        ledger.penalty_rate[sort],
        ledger.lawful_penalty_rate[sort],
        ledger.lawful_stored[sort],
        np.array(ledger.orders, dtype=object)[ledger.order_code[sort]],
    ]
    types = [ROW_TYPE, PAY_TYPE, PAUSE_TYPE]
    return [
        _shard(loans, nested, types, lo, min(lo + shard_loans, keys.size))
        for lo in range(0, keys.size, shard_loans)
    ]


def _group(
    keys: I64, owner: I64, what: str, values: list[I64]
) -> tuple[npt.NDArray[np.int64], list[I64]]:
    """Rows grouped by loan (in `keys` order, storage order kept within a loan): offsets, values."""
    position = np.searchsorted(keys, owner)
    clipped = np.minimum(position, max(keys.size - 1, 0))
    if owner.size and (keys.size == 0 or np.any(keys[clipped] != owner)):
        unknown = np.unique(owner[(keys.size == 0) | (keys[clipped] != owner)])[:5]
        raise UnknownLoanError(f"{what} rows reference unknown loans: {unknown.tolist()}")
    if position.size and np.any(position[1:] < position[:-1]):
        order = np.argsort(position, kind="stable")
        position, values = position[order], [v[order] for v in values]
    offsets = np.searchsorted(position, np.arange(keys.size + 1)).astype(np.int64)
    return offsets, values


def _shard(
    loans: list[npt.NDArray[np.generic]],
    nested: list[tuple[npt.NDArray[np.int64], list[I64]]],
    types: list[pa.StructType],
    lo: int,
    hi: int,
) -> pa.RecordBatch:
    """Loans lo:hi as one record batch whose buffers hold only those loans (cheap to send)."""
    columns: list[pa.Array] = [
        pa.array(loans[0][lo:hi], _INT),
        pa.array(loans[1][lo:hi], _INT),
        pa.array(loans[2][lo:hi], _INT),
        pa.array(loans[3][lo:hi], pa.bool_()),
        pa.array(loans[4][lo:hi].tolist(), pa.string()),
    ]
    for (offsets, values), kind in zip(nested, types, strict=True):
        first, last = int(offsets[lo]), int(offsets[hi])
        fields = [pa.array(v[first:last], _INT) for v in values]
        struct = pa.StructArray.from_arrays(fields, fields=list(kind))
        local = pa.array((offsets[lo : hi + 1] - first).astype(np.int32), pa.int32())
        columns.append(pa.ListArray.from_arrays(local, struct))
    return pa.RecordBatch.from_arrays(columns, schema=SHARD_SCHEMA)


def from_shard(shard: pa.RecordBatch) -> Ledger:
    """A shard back as the kernel's ledger columns (the inverse of `to_shards`)."""
    keys = _np(shard.column("loan_key"))
    orders = pc.dictionary_encode(shard.column("allocation_order"))
    rows, row_owner = _flat(shard.column("rows"), keys)
    pays, pay_owner = _flat(shard.column("pays"), keys)
    stops, stop_owner = _flat(shard.column("pauses"), keys)
    return Ledger(
        loan_key=keys,
        penalty_rate=_np(shard.column("penalty_rate")),
        lawful_penalty_rate=_np(shard.column("lawful_penalty_rate")),
        lawful_stored=np.asarray(
            shard.column("lawful_stored").to_numpy(zero_copy_only=False), dtype=np.bool_
        ),
        order_code=_np(orders.indices),
        orders=[str(t) for t in orders.dictionary.to_pylist()],
        row_loan_key=row_owner,
        row_lawful=rows["lawful"],
        row_number=rows["number"],
        row_due=rows["due"],
        row_principal=rows["principal"],
        row_interest=rows["interest"],
        row_fee=rows["fee"],
        pay_loan_key=pay_owner,
        pay_day=pays["day"],
        pay_amount=pays["amount"],
        pause_loan_key=stop_owner,
        pause_start=stops["start"],
        pause_end=stops["end"],
    )


def _np(array: pa.Array) -> I64:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.int64)


def _flat(lists: pa.Array, keys: I64) -> tuple[dict[str, I64], I64]:
    lengths = _np(pc.list_value_length(lists).fill_null(0))
    values = lists.flatten()
    names = [values.type.field(i).name for i in range(values.type.num_fields)]
    return {name: _np(values.field(name)) for name in names}, np.repeat(keys, lengths)


def positions_of_shard(
    shard: pa.RecordBatch, *, as_of_day: int, buckets: BucketScheme
) -> pa.RecordBatch:
    """The kernel: a shard of loans in, their positions out (POSITIONS_SCHEMA, loan-key order)."""
    positions = compute_positions(from_shard(shard), as_of_day, buckets)
    return pa.RecordBatch.from_arrays(
        [pa.array(positions[f.name], f.type) for f in POSITIONS_SCHEMA], schema=POSITIONS_SCHEMA
    )


def merge_positions(parts: Iterable[pa.RecordBatch]) -> dict[str, npt.NDArray[np.generic]]:
    """Shard results as one set of columns in loan-key order, whatever order they came in."""
    table = pa.Table.from_batches(list(parts), schema=POSITIONS_SCHEMA)
    table = table.sort_by("loan_key")
    result: dict[str, npt.NDArray[np.generic]] = {}
    for f in POSITIONS_SCHEMA:
        column = table.column(f.name)
        if f.name == "bucket":
            result[f.name] = np.array(column.to_pylist(), dtype=object)
        else:
            result[f.name] = _np(column)
    return result
