"""Playbook versions as use cases on the unit of work: draft, then approval by a second person."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import pytest
from sqlalchemy import func, select

from faircollect.adapters.db.tables import audit_entries, playbook_versions
from faircollect.bootstrap import App
from faircollect.kit.clock import FixedClock
from faircollect.playbooks import PlaybookError, shipped_templates
from faircollect.services.authorization import Role, make_actor
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
    # A name typed at a shell is not a person: only a signed-in user (or their token) drafts.
    typed = make_actor("cli", "ann", "ann", [Role.COLLECTIONS_MANAGER])
    with pytest.raises(MissingIdentityError):
        draft_playbook(app.unit_of_work(CLOCK), text=TEXT, where="cn.yaml", actor=typed,
                       templates=templates)  # fmt: skip
    book = draft_playbook(app.unit_of_work(CLOCK), text=TEXT, where="cn.yaml", actor=person("ann"),
                          templates=templates)  # fmt: skip
    with pytest.raises(PlaybookVersionError, match="already exists"):
        draft_playbook(app.unit_of_work(CLOCK), text=TEXT, where="cn.yaml", actor=person("bo"),
                       templates=templates)  # fmt: skip
    # The author cannot approve, signed in or through one of their tokens holding the role.
    own_token = make_actor("token", "t-ann", "ann's token", [Role.COMPLIANCE_OFFICER],
                           user_id="ann")  # fmt: skip
    for author in (person("ann", Role.COMPLIANCE_OFFICER), own_token):
        with pytest.raises(SelfApprovalError):
            approve_playbook(app.unit_of_work(CLOCK), name=book.name, version=book.version,
                             actor=author)  # fmt: skip
    assert approve_playbook(app.unit_of_work(CLOCK), name=book.name, version=book.version,
                            actor=person("bo", Role.COMPLIANCE_OFFICER)) == "user:bo"  # fmt: skip
    with pytest.raises(PlaybookVersionError, match="not a draft"):
        approve_playbook(app.unit_of_work(CLOCK), name=book.name, version=book.version,
                         actor=person("cy", Role.COMPLIANCE_OFFICER))  # fmt: skip
    with app.engine.connect() as conn:
        row = conn.execute(select(playbook_versions)).mappings().one()
    assert (row["author"], row["approver"], row["status"]) == ("user:ann", "user:bo", "approved")


def test_a_draft_naming_a_text_its_pack_blocks_is_refused_and_nothing_is_stored(app: App) -> None:
    # The US playbook with its D+1 text swapped for the UK one, which lacks the US
    # debt-collector disclosure (Regulation F §1006.18(e)).
    us = (resources.files("faircollect.playbooks") / "data" / "us-default.yaml").read_text("utf-8")
    text = us.replace("template: overdue.first\n", "template: uk.overdue.first\n", 1)
    assert text != us

    def stored() -> tuple[int, int]:
        with app.engine.connect() as conn:
            books, records = (
                conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (playbook_versions, audit_entries)
            )
        return books, records

    before = stored()
    with pytest.raises(PlaybookError) as refused:
        draft_playbook(app.unit_of_work(CLOCK), text=text, where="us-uk.yaml",
                       actor=person("ann"), templates=shipped_templates())  # fmt: skip
    message = str(refused.value)
    assert message.startswith("us-uk.yaml:")
    assert "step 'd1_sms': template 'uk.overdue.first'" in message
    assert "US-MINI-MIRANDA" in message
    assert stored() == before
    # The shipped text itself drafts.
    assert draft_playbook(app.unit_of_work(CLOCK), text=us, where="us.yaml", actor=person("ann"),
                          templates=shipped_templates()).pack == "US"  # fmt: skip
    assert stored() == (before[0] + 1, before[1] + 1)
