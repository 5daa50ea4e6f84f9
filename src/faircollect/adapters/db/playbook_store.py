"""Playbook versions in SQL (implements services.playbook_versions.PlaybookStore)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from faircollect.adapters.db.tables import playbook_versions
from faircollect.playbooks import Playbook
from faircollect.services.playbook_versions import StoredVersion


class SqlPlaybookStore:
    """The playbook store on one connection (the caller's transaction)."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def version(self, name: str, version: int) -> StoredVersion | None:
        t = playbook_versions
        row = self._conn.execute(
            select(t.c.name, t.c.version, t.c.status, t.c.author, t.c.sha256)
            .where(t.c.name == name, t.c.version == version)
            .with_for_update()
        ).first()
        if row is None:
            return None
        return StoredVersion(row.name, int(row.version), row.status, row.author, row.sha256)

    def add_draft(self, book: Playbook, body: str, author: str, at: datetime) -> None:
        self._conn.execute(
            insert(playbook_versions).values(
                name=book.name,
                version=book.version,
                pack=book.pack,
                body=body,
                sha256=book.sha256,
                author=author,
                drafted_at=at,
                status="draft",
            )
        )

    def approve(self, name: str, version: int, approver: str, at: datetime) -> None:
        t = playbook_versions
        self._conn.execute(
            update(t).where(t.c.name == name, t.c.status == "approved").values(status="retired")
        )
        self._conn.execute(
            update(t)
            .where(t.c.name == name, t.c.version == version)
            .values(status="approved", approver=approver, approved_at=at)
        )
