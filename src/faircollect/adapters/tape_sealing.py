"""Borrower chunks sealed before they are spilled: no personal field reaches the disk in clear.

A borrower chunk leaves validation as it is stored: the phone normalised, the ID number trimmed
and upper-cased, the record fingerprint (a keyed hash of the clear record, for change
detection) computed, and name, phone and ID number sealed with the PII cipher, with their blind
indexes. The spill file then holds only ids, time zone, language, keyed hashes and ciphertext.
A borrower already stored with the same fingerprint is not written again, so its row is spilled
with its fingerprint alone (sealing costs most of this step: an unchanged re-import skips it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from faircollect.adapters.pii import PiiCipher
from faircollect.domain.borrowers import normalise_phone

ASCII_PHONE = r"^\+?[0-9]*$"  # already in its normalised form
ASCII_PRINTABLE = r"^[ -~]*$"
ASCII_SPACE = " "  # the only whitespace an ASCII-printable value holds
PERSONAL = ("name", "phone", "id_number")
SEALED = {
    "name_enc": pl.Binary,
    "phone_enc": pl.Binary,
    "phone_index": pl.String,
    "id_number_enc": pl.Binary,
    "id_number_index": pl.String,
}
Stored = Callable[[pl.Series], pl.DataFrame]  # (borrower_id, record_hash) of stored borrowers


@dataclass(frozen=True, slots=True)
class BorrowerSealer:
    """Turns a validated borrower chunk into its stored form (sealed, indexed, fingerprinted)."""

    pii: PiiCipher
    stored: Stored | None = None

    def __call__(self, chunk: pl.DataFrame) -> pl.DataFrame:
        extra = ["_row"] if "_row" in chunk.columns else []
        frame = chunk.select(*extra, "borrower_id", "name", "timezone", "language").with_columns(
            _python_where_not_ascii(chunk["phone"], ASCII_PHONE, normalise_phone),
            _python_where_not_ascii(
                chunk["id_number"], ASCII_PRINTABLE, lambda v: v.strip().upper(),
                ascii_form=pl.col("id_number").str.strip_chars(ASCII_SPACE).str.to_uppercase(),
            ),
        )  # fmt: skip
        canonical = frame.select(
            pl.concat_str(
                "borrower_id",
                "name",
                "phone",
                pl.col("id_number").fill_null(""),
                "timezone",
                "language",
                separator="\x1f",
            )
        ).to_series()
        frame = frame.with_columns(self.pii.fingerprint_column(canonical).alias("record_hash"))
        same = self._unchanged(frame)
        if same is None:
            sealed = self._sealed(frame)
        else:
            order = frame.with_row_index("_at")
            kept = order.filter(same).drop(*PERSONAL)
            kept = kept.with_columns(pl.lit(None, t).alias(c) for c, t in SEALED.items())
            sealed = pl.concat([self._sealed(order.filter(~same)), kept], how="diagonal")
            sealed = sealed.sort("_at").drop("_at")
        return sealed.select(*extra, "borrower_id", "timezone", "language", "record_hash", *SEALED)

    def _unchanged(self, frame: pl.DataFrame) -> pl.Series | None:
        """Which rows are stored with the same fingerprint (None: no row is)."""
        if self.stored is None:
            return None
        known = self.stored(frame["borrower_id"])
        if not known.height:
            return None
        marked = frame.select("borrower_id", "record_hash").join(
            known.rename({"record_hash": "_stored"}),
            on="borrower_id",
            how="left",
            maintain_order="left",
        )
        same = (marked["_stored"] == marked["record_hash"]).fill_null(False)
        return same if same.any() else None

    def _sealed(self, frame: pl.DataFrame) -> pl.DataFrame:
        pii, owners, phones = self.pii, frame["borrower_id"], frame["phone"]
        # ID numbers are optional: sealed where given, placed back by position.
        given = frame["id_number"].is_not_null()
        at = pl.Series(np.flatnonzero(given.to_numpy()))
        numbers = frame["id_number"].filter(given)
        id_enc = pl.Series("id_number_enc", [None] * frame.height, pl.Binary)
        id_index = pl.Series("id_number_index", [None] * frame.height, pl.String)
        if at.len():
            id_enc = id_enc.scatter(at, pii.seal_column("id_number", owners.filter(given), numbers))
            id_index = id_index.scatter(at, pii.index_column("id_number", numbers))
        return frame.drop(*PERSONAL).with_columns(
            pii.seal_column("name", owners, frame["name"]).alias("name_enc"),
            pii.seal_column("phone", owners, phones).alias("phone_enc"),
            pii.index_column("phone", phones).alias("phone_index"),
            id_enc,
            id_index,
        )


def _python_where_not_ascii(
    values: pl.Series,
    ascii_pattern: str,
    python: Callable[[str], str],
    *,
    ascii_form: pl.Expr | None = None,
) -> pl.Series:
    """`python(value)` for each value (nulls kept), computed column-wise where the value is
    plain ASCII (`ascii_form`, else the value as it is) and by `python` for the few others,
    whose Unicode rules (str.strip, str.upper, str.isdigit) the column functions do not share."""
    name = values.name
    frame = pl.DataFrame({name: values})
    plain = frame.select(pl.col(name).str.contains(ascii_pattern).fill_null(True)).to_series()
    done = frame.select(ascii_form if ascii_form is not None else pl.col(name)).to_series()
    if plain.all():
        return done.alias(name)
    others = values.filter(~plain)
    fixed = pl.Series(name, [python(v) for v in others.to_list()], pl.String)
    at = pl.Series(np.flatnonzero(~plain.to_numpy()))
    return done.scatter(at, fixed).alias(name)
