"""Re-keying the contact points of facts recorded before `services.contact_points`.

Those rows hold the keyed index of the point as it was typed (`point_scheme` null): a wrong
number recorded as "+86 138 0013 8000" would never match the borrower's stored phone the
cycle names, nor "13800138000" on the API. Their sealed point is opened and keyed by
`point_key` against the borrower's stored phone_index, in one transaction, once: `bootstrap`
runs it each time the database is opened with its PII key (after the migrations and the key
check, before any decision), and a database with nothing left to re-key costs one indexed
look-up. Re-keying changes no fact's meaning, only how it is found; the audit records written
when the facts were recorded keep the index they had then.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from sqlalchemy import Engine, select, update

from faircollect.adapters.db.fact_tables import borrower_facts
from faircollect.adapters.db.tables import borrowers
from faircollect.services.contact_points import POINT_SCHEME, point_key
from faircollect.services.ports import PiiProtector

BATCH = 1000  # rows read and re-keyed per round trip

_f = borrower_facts.c
_LEFT = _f.point_scheme.is_(None) & _f.point_index.is_not(None)


class RekeyError(RuntimeError):
    """A recorded point could not be opened (altered, or sealed for another borrower)."""


def rekey_fact_points(engine: Engine, pii: PiiProtector) -> int:
    """Re-key every fact point recorded under no scheme; how many were re-keyed."""
    with engine.connect() as conn:
        if conn.execute(select(_f.id).where(_LEFT).limit(1)).first() is None:
            return 0
    done, after = 0, 0
    with engine.begin() as conn:
        while True:
            rows = conn.execute(
                select(_f.id, _f.borrower_id, _f.point_enc, borrowers.c.phone_index)
                .outerjoin(borrowers, borrowers.c.borrower_id == _f.borrower_id)
                .where(_LEFT, _f.id > after)
                .order_by(_f.id)
                .limit(BATCH)
            ).all()
            if not rows:
                return done
            for fact_id, borrower_id, sealed, stored in rows:
                try:
                    point = pii.open("fact_point", borrower_id, sealed)
                except (InvalidTag, ValueError) as exc:
                    raise RekeyError(
                        f"borrower_facts id {fact_id}: its sealed contact point does not open"
                        " with this PII key; nothing was re-keyed"
                    ) from exc
                conn.execute(
                    update(borrower_facts)
                    .where(_f.id == fact_id)
                    .values(
                        point_index=point_key(pii, point, stored_phone_index=stored),
                        point_scheme=POINT_SCHEME,
                    )
                )
            done += len(rows)
            after = rows[-1][0]
