"""Shared set-up of the identity tests: cheap Argon2, a fixed clock, TOTP codes, audit reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import select

from faircollect.audit.records import AuditKind, AuditRecord, decode_record
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.services.authorization import Actor
from faircollect.services.identity import NewUser, add_user, create_first_admin, login_password

START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def cheap(app: App) -> App:
    """The same database and keys with test-only Argon2 costs (production's cost 150 ms each)."""
    s = replace(app.settings, argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    return App(s)


class World:
    """An app and a clock that moves on by a TOTP step whenever a fresh code is needed."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.clock = FixedClock(START)

    def uow(self, app: App | None = None) -> Any:
        return (app or self.app).unit_of_work(self.clock)

    def tick(self, seconds: float = 30) -> None:
        self.clock.move_to(self.clock.now() + timedelta(seconds=seconds))

    def code(self, user: NewUser) -> str:
        return str(pyotp.TOTP(user.totp_secret).at(self.clock.now()))

    def login(self, user: NewUser, *, password: str | None = None, address: str = "10.0.0.1",
              app: App | None = None, previous: str | None = None) -> Any:  # fmt: skip
        self.tick()  # a new time step: a code is accepted once
        return login_password(
            self.uow(app), username=user.username, password=password or user.initial_password,
            totp_code=self.code(user), address=address, previous_token=previous,
        )  # fmt: skip

    def admin(self) -> tuple[NewUser, Actor]:
        first = create_first_admin(self.uow(), username="root")
        return first, self.login(first).actor

    def user(self, admin: Actor, name: str, *roles: str, agency: str | None = None) -> NewUser:
        return add_user(self.uow(), actor=admin, username=name, roles=roles, agency_id=agency)


def records(app: App, subject: str) -> list[AuditRecord]:
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        return [decode_record(log.leaf(i).entry) for i in log.indexes_about([subject])]


def kinds(app: App, subject: str) -> list[AuditKind]:
    return [r.kind for r in records(app, subject)]


def rows(app: App, table: Any) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def all_audit_text(app: App) -> str:
    """Every audit record's fields as text (to show a secret appears in none)."""
    with app.engine.connect() as conn:
        log = app.audit_log(conn)
        out = []
        for i in range(log.size):
            entry = log.leaf(i).entry
            try:
                r = decode_record(entry)
            except ValueError:
                continue
            out.append(f"{r.actor} {r.subject} {r.payload}")
        return "\n".join(out)
