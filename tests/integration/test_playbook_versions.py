"""Playbook versions as use cases on the unit of work: draft, then approval by a second person."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import pytest
from sqlalchemy import select

from faircollect.adapters.db.tables import playbook_versions
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.playbooks import shipped_templates
from faircollect.services.authorization import Role
from faircollect.services.maker_checker import MissingIdentityError, SelfApprovalError
from faircollect.services.playbook_versions import (
    PlaybookVersionError,
    approve_playbook,
    draft_playbook,
)
from tests.integration.cycle_kit import person

CLOCK = FixedClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
TEXT = (resources.files("faircollect.playbooks") / "data" / "cn-default.yaml").read_text("utf-8")


def test_draft_and_approve_are_one_transaction_each_and_maker_checker(app: App) -> None:
    templates = shipped_templates()
    with pytest.raises(MissingIdentityError):
        draft_playbook(app.unit_of_work(CLOCK), text=TEXT, where="cn.yaml", actor=person(" \u200b "),
                       templates=templates)  # fmt: skip
    book = draft_playbook(app.unit_of_work(CLOCK), text=TEXT, where="cn.yaml", actor=person(" Ann "),
                          templates=templates)  # fmt: skip
    with pytest.raises(PlaybookVersionError, match="already exists"):
        draft_playbook(app.unit_of_work(CLOCK), text=TEXT, where="cn.yaml", actor=person("bo"),
                       templates=templates)  # fmt: skip
    for spelling in ("ann", "ANN", "\uff41nn "):
        with pytest.raises(SelfApprovalError):
            approve_playbook(app.unit_of_work(CLOCK), name=book.name, version=book.version,
                             actor=person(spelling, Role.COMPLIANCE_OFFICER))  # fmt: skip
    assert approve_playbook(app.unit_of_work(CLOCK), name=book.name, version=book.version,
                            actor=person("Bo", Role.COMPLIANCE_OFFICER)) == "bo"  # fmt: skip
    with pytest.raises(PlaybookVersionError, match="not a draft"):
        approve_playbook(app.unit_of_work(CLOCK), name=book.name, version=book.version,
                         actor=person("cy", Role.COMPLIANCE_OFFICER))  # fmt: skip
    with app.engine.connect() as conn:
        row = conn.execute(select(playbook_versions)).mappings().one()
    assert (row["author"], row["approver"], row["status"]) == ("ann", "bo", "approved")
