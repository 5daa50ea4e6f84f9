"""Writing a validated tape a chunk at a time: hashes, change detection, pricing, sealing, ingest.

Each record kind is written in tape order; rows already stored with the same hash are skipped,
changed ones are replaced only when asked (the caller refuses otherwise, and its transaction
rolls back). What the audit records need is kept aside (tape_audit) and appended at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from faircollect.adapters.audit_store import AuditLog
from faircollect.adapters.batch_crypto import hex_digests
from faircollect.adapters.db.tables import EPOCH
from faircollect.adapters.db.tape_ingest import TapeTables
from faircollect.adapters.tape_audit import AuditParts
from faircollect.adapters.tape_pricing import price_chunk
from faircollect.adapters.tape_stream import SortedIds, ValidTape
from faircollect.domain.lawful import CapPolicy
from faircollect.domain.pauses import Pause, PauseKind
from faircollect.kit.dates import to_day_number
from faircollect.services.importing import KindResult, check_pauses, pause_hash
from faircollect.services.ports import StoredPause

Tell = Callable[[str, int], None]


@dataclass
class ChunkedImport:
    """The import's writes for one validated tape, on one transaction."""

    tape: ValidTape
    tables: TapeTables
    caps: CapPolicy
    spill: Path
    tell: Tell
    log: AuditLog
    above_cap: int = 0
    audit: AuditParts = field(init=False)
    _keys: list[pl.DataFrame] = field(default_factory=list)
    _sorted: SortedIds | None = None

    def __post_init__(self) -> None:
        ids = [c["loan_id"] for c in self.tape.chunks("loans")]
        self.audit = AuditParts(
            self.spill, pl.concat(ids) if ids else pl.Series([], dtype=pl.String)
        )

    def append_audit(self, actor: str, at: datetime, counts: dict[str, Any]) -> None:
        """The import's audit records, in this transaction."""
        self.audit.append(self.log, actor, at, counts)

    def write(self, kind: str, *, update: bool) -> KindResult:
        """Write one record kind; changed records are replaced only when `update`."""
        return {
            "borrowers": self._borrowers,
            "loans": self._loans,
            "payments": self._payments,
            "pauses": self._pauses,
        }[kind](update)

    def _classify(
        self, table: str, key: str, frame: pl.DataFrame, result: KindResult
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        known = self.tables.lookup_frame(table, key, "record_hash", frame[key])
        if not known.height:
            result.new += frame.height
            return frame, frame.clear()
        known = known.rename({"record_hash": "_stored"})
        marked = frame.join(known, on=key, how="left", maintain_order="left")
        fresh = marked.filter(pl.col("_stored").is_null()).drop("_stored")
        changed = marked.filter(pl.col("_stored") != pl.col("record_hash")).drop("_stored")
        result.new += fresh.height
        result.note_changed(changed[key].to_list())
        result.unchanged += frame.height - fresh.height - changed.height
        return fresh, changed

    def _borrowers(self, update: bool) -> KindResult:
        result = KindResult()
        for frame in self.tape.chunks("borrowers"):  # sealed at spill time (tape_sealing)
            fresh, changed = self._classify("borrowers", "borrower_id", frame, result)
            self.tables.append("borrowers", fresh)
            self.audit.borrowers(fresh.select("borrower_id", "record_hash"), changed=False)
            if update and changed.height:
                self.tables.replace("borrowers", "borrower_id", changed)
                self.audit.borrowers(changed.select("borrower_id", "record_hash"), changed=True)
            self.tell("borrowers", result.total)
        return result

    def _loans(self, update: bool) -> KindResult:
        result = KindResult()
        next_key = self.tables.next_loan_key()
        for chunk in self.tape.chunks("loans"):
            priced = price_chunk(chunk, self.caps, self.tape.schedules, self.tape.loan_file)
            self.above_cap += priced.above_cap
            loans = priced.loans.with_row_index("_index").with_columns(
                pl.col("_index").cast(pl.Int64)
            )
            fresh, changed = self._classify("loans", "loan_id", loans, result)
            fresh = fresh.with_columns(
                pl.int_range(next_key, next_key + fresh.height, dtype=pl.Int64).alias("loan_key")
            )
            next_key += fresh.height
            rows = priced.installments
            self.tables.append("loans", fresh)
            self.tables.append("installments", _keyed(rows, fresh))
            self.audit.loans(fresh)
            others = self.tables.lookup_frame(
                "loans",
                "loan_id",
                "loan_key",
                loans.join(fresh, on="loan_id", how="anti")["loan_id"],
            )
            if update and changed.height:
                changed = changed.join(others, on="loan_id", how="left", maintain_order="left")
                self.tables.delete("installments", "loan_key", changed["loan_key"].to_list())
                self.tables.replace("loans", "loan_id", changed.drop("loan_key"))
                self.tables.append("installments", _keyed(rows, changed))
                self.audit.loans(changed)
            self._keys.append(fresh.select("loan_id", "loan_key"))
            self._keys.append(others)
            self.tell("loans", result.total)
        return result

    def _key_frame(self, loan_ids: pl.Series) -> pl.DataFrame:
        """(loan_id, loan_key) for each of `loan_ids`: the tape's loans, else stored ones."""
        if self._sorted is None:
            keys = [k for k in self._keys if k.height]
            self._sorted = SortedIds(
                pl.concat(keys)
                if keys
                else pl.DataFrame(schema={"loan_id": pl.String, "loan_key": pl.Int64}),
                "loan_id",
            )
        found = pl.DataFrame({"loan_id": loan_ids}).with_columns(
            self._sorted.take("loan_key", loan_ids).cast(pl.Int64)
        )
        missing = found.filter(pl.col("loan_key").is_null())["loan_id"]
        if missing.len():
            stored = self.tables.lookup_frame("loans", "loan_id", "loan_key", missing)
            found = found.join(
                stored.rename({"loan_key": "_stored"}),
                on="loan_id",
                how="left",
                maintain_order="left",
            ).select("loan_id", pl.coalesce("loan_key", "_stored").alias("loan_key"))
        return found

    def _payments(self, update: bool) -> KindResult:
        result = KindResult()
        for chunk in self.tape.chunks("payments"):
            text = chunk.select(
                pl.concat_str(
                    "payment_id",
                    "loan_id",
                    pl.col("paid_on").dt.strftime("%Y-%m-%d"),
                    pl.col("amount").cast(pl.String),
                    separator="|",
                )
            ).to_series()
            frame = chunk.with_columns(
                hex_digests(text).alias("record_hash"),
                self._key_frame(chunk["loan_id"])["loan_key"],
                pl.col("paid_on").cast(pl.Int32).alias("paid_on"),
            )
            fresh, changed = self._classify("payments", "payment_id", frame, result)
            self.tables.append("payments", fresh)
            self.audit.pairs(fresh, "payment_id", changed=False)
            if update and changed.height:
                self.tables.delete("payments", "payment_id", changed["payment_id"].to_list())
                self.tables.append("payments", changed)
                self.audit.pairs(changed, "payment_id", changed=True)
            self.tell("payments", result.total)
        return result

    def pauses_of(self, loan_ids: Sequence[str]) -> list[StoredPause]:
        """Stored pauses of these loans (for the overlap check)."""
        found: list[StoredPause] = []
        mark = self.tables.bulk.placeholder
        for start in range(0, len(loan_ids), 5_000):
            part = list(loan_ids[start : start + 5_000])
            marks = ", ".join(mark(k + 1) for k in range(len(part)))
            sql = (
                "SELECT p.pause_id, l.loan_id, p.kind, p.start_on, p.end_on, p.record_hash"  # noqa: S608 - names are constants, values bound
                " FROM pauses p JOIN loans l ON l.loan_key = p.loan_key"
                f" WHERE l.loan_id IN ({marks})"
            )
            for pid, lid, kind, begin, end, digest in self.tables._rows(sql, part):
                pause = Pause(PauseKind(kind), _day(begin), None if end is None else _day(end))
                found.append(StoredPause(pid, lid, pause, digest))
        return found

    def _pauses(self, update: bool) -> KindResult:
        result = KindResult()
        bare = [StoredPause(p.pause_id, p.loan_id, p.pause, "") for p in self.tape.pauses]
        items = [StoredPause(p.pause_id, p.loan_id, p.pause, pause_hash(p)) for p in bare]
        if not items:
            return result
        check_pauses(items, self)
        frame = pl.DataFrame(
            {
                "pause_id": [p.pause_id for p in items],
                "loan_id": [p.loan_id for p in items],
                "kind": [p.pause.kind.value for p in items],
                "start_on": [to_day_number(p.pause.start_on) for p in items],
                "end_on": [
                    None if p.pause.end_on is None else to_day_number(p.pause.end_on) for p in items
                ],
                "record_hash": [p.record_hash for p in items],
            },
            schema_overrides={"end_on": pl.Int64},
        ).with_columns(self._key_frame(pl.Series([p.loan_id for p in items]))["loan_key"])
        fresh, changed = self._classify("pauses", "pause_id", frame, result)
        write = pl.concat([fresh, changed]) if update else fresh
        if update and changed.height:
            self.tables.delete("pauses", "pause_id", changed["pause_id"].to_list())
        self.tables.append("pauses", write)
        self.audit.pairs(fresh, "pause_id", changed=False)
        if update:
            self.audit.pairs(changed, "pause_id", changed=True)
        return result


def _keyed(rows: pl.DataFrame, loans: pl.DataFrame) -> pl.DataFrame:
    """Instalment rows of `loans` (by chunk position `_index`) with their loan keys."""
    return rows.join(loans.select("_index", "loan_key"), on="_index", how="inner").drop("_index")


def _day(value: Any) -> date:
    return EPOCH + timedelta(days=int(value))
