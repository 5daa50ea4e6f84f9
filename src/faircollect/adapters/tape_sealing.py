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

import polars as pl

from faircollect.adapters.pii import PiiCipher
from faircollect.domain.borrowers import normalise_phone

ASCII_PHONE = r"^\+?[0-9]*$"
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
        phone = chunk["phone"]
        plain = phone.str.contains(ASCII_PHONE)
        phones = [
            p if ok else normalise_phone(p)
            for p, ok in zip(phone.to_list(), plain.to_list(), strict=True)
        ]
        ids = [v.strip().upper() if v else None for v in chunk["id_number"].to_list()]
        extra = ["_row"] if "_row" in chunk.columns else []
        frame = chunk.select(*extra, "borrower_id", "name", "timezone", "language").with_columns(
            pl.Series("phone", phones, pl.String), pl.Series("id_number", ids, pl.String)
        )
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
        frame = frame.with_columns(
            pl.Series("record_hash", self.pii.fingerprint_many(canonical.to_list()), pl.String)
        )
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
        owners = frame["borrower_id"].to_list()
        with_id = frame.filter(pl.col("id_number").is_not_null())
        id_owners, id_values = with_id["borrower_id"].to_list(), with_id["id_number"].to_list()
        sealed_ids = dict(
            zip(id_owners, self.pii.seal_many("id_number", id_owners, id_values), strict=True)
        )
        indexes = dict(zip(id_owners, self.pii.index_many("id_number", id_values), strict=True))
        phones = frame["phone"].to_list()
        return frame.drop(*PERSONAL).with_columns(
            pl.Series(
                "name_enc", self.pii.seal_many("name", owners, frame["name"].to_list()), pl.Binary
            ),
            pl.Series("phone_enc", self.pii.seal_many("phone", owners, phones), pl.Binary),
            pl.Series("phone_index", self.pii.index_many("phone", phones), pl.String),
            pl.Series("id_number_enc", [sealed_ids.get(o) for o in owners], pl.Binary),
            pl.Series("id_number_index", [indexes.get(o) for o in owners], pl.String),
        )
