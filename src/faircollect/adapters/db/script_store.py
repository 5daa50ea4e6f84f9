"""SQL implementation of the ScriptStore port."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from faircollect.adapters.db.tables import aware, script_keys, script_versions
from faircollect.services.scripts import ScriptVersion


def _aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


class SqlScriptStore:
    """Script versions in the relational database."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def lock_key(self, key: str) -> None:
        dialect = self._conn.dialect.name
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        self._conn.execute(make(script_keys).values(key=key, touched=0).on_conflict_do_nothing())
        # A write to the key's row locks it (row lock on PostgreSQL, write lock on SQLite).
        self._conn.execute(
            update(script_keys)
            .where(script_keys.c.key == key)
            .values(touched=script_keys.c.touched + 1)
        )

    def versions(self, key: str) -> list[ScriptVersion]:
        rows = self._conn.execute(
            select(script_versions)
            .where(script_versions.c.key == key)
            .order_by(script_versions.c.version)
        ).mappings()
        return [self._from_row(dict(r)) for r in rows]

    def all_keys(self) -> list[str]:
        return list(
            self._conn.execute(select(script_keys.c.key).order_by(script_keys.c.key)).scalars()
        )

    def add(self, version: ScriptVersion) -> None:
        self._conn.execute(insert(script_versions).values(**self._to_row(version)))

    def update(self, version: ScriptVersion) -> None:
        row = self._to_row(version)
        self._conn.execute(
            update(script_versions)
            .where(script_versions.c.key == version.key)
            .where(script_versions.c.version == version.version)
            .values(**row)
        )

    @staticmethod
    def _to_row(v: ScriptVersion) -> dict[str, object]:
        return {
            "key": v.key, "version": v.version, "lang": v.lang, "channel": v.channel,
            "pack": v.pack, "body": v.body, "author": v.author, "drafted_at": v.drafted_at,
            "status": v.status, "verdict": v.verdict, "rules": json.dumps(list(v.rules)),
            "approver": v.approver, "decided_at": v.decided_at, "note": v.note,
        }  # fmt: skip

    @staticmethod
    def _from_row(r: dict[str, Any]) -> ScriptVersion:
        return ScriptVersion(
            key=r["key"], version=int(r["version"]), lang=r["lang"], channel=r["channel"],
            pack=r["pack"], body=r["body"], author=r["author"],
            drafted_at=aware(r["drafted_at"]), status=r["status"], verdict=r["verdict"],
            rules=tuple(json.loads(r["rules"])), approver=r["approver"],
            decided_at=_aware_or_none(r["decided_at"]), note=r["note"] or "",
        )  # fmt: skip
