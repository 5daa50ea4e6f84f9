"""Maker-checker's one home: identities compared after normalisation, self-approval refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faircollect.services.authorization import (
    Actor,
    Permission,
    PermissionDeniedError,
    Role,
    make_actor,
    operator_actor,
)
from faircollect.services.maker_checker import (
    MissingIdentityError,
    SelfApprovalError,
    check_approver,
    check_second_person,
    maker_of,
    normalise_identity,
)


@pytest.mark.parametrize(
    "spelling",
    [
        "ann",
        "Ann",
        "ANN",
        "ann ",
        " ann",
        "\tann\n",
        "\uff41\uff4e\uff4e",
        "a\u200bnn",
        "\u200eann",
    ],
)
def test_the_author_respelt_cannot_approve(spelling: str) -> None:
    with pytest.raises(SelfApprovalError, match="maker-checker: playbook p v1"):
        check_second_person(author="ann", approver=spelling, what="playbook p v1")


def test_a_different_person_approves_and_gets_the_normal_form() -> None:
    assert check_second_person(author="ann", approver="  Bo ", what="x") == "bo"
    assert normalise_identity("Jo  Smith") == "jo smith"


@pytest.mark.parametrize("empty", ["", "   ", "\u200b", "\u200b \u200d"])
def test_an_empty_identity_is_refused(empty: str) -> None:
    with pytest.raises(MissingIdentityError, match="approver is missing"):
        check_second_person(author="ann", approver=empty, what="x")
    with pytest.raises(MissingIdentityError, match="author is missing"):
        check_second_person(author=empty, approver="ann", what="x")


def test_an_overlong_identity_is_refused() -> None:
    with pytest.raises(MissingIdentityError, match="longer than 64"):
        normalise_identity("a" * 65)


@dataclass(frozen=True)
class _Actor:
    id: str


def test_an_actor_is_compared_by_its_id() -> None:
    with pytest.raises(SelfApprovalError):
        check_second_person(author="ann", approver=_Actor("ANN"), what="x")
    assert check_second_person(author=_Actor("ann"), approver=_Actor("bo"), what="x") == "bo"


@given(st.text(max_size=30))
def test_normalisation_is_idempotent_and_self_approval_always_refused(name: str) -> None:
    try:
        once = normalise_identity(name)
    except MissingIdentityError:
        return
    assert normalise_identity(once) == once
    with pytest.raises(SelfApprovalError):
        check_second_person(author=name, approver=f" {name}\u200b ", what="x")


def test_the_service_actor_is_compared_by_the_person_behind_it() -> None:
    ann = Actor(kind="user", id="ann", name="Ann", roles=frozenset({Role.COMPLIANCE_OFFICER}))
    with pytest.raises(SelfApprovalError):
        check_second_person(author="user:ann", approver=ann, what="script s v1")


ANN = make_actor("user", "u-ann", "ann", [Role.COMPLIANCE_OFFICER])
BO = make_actor("user", "u-bo", "bo", [Role.COMPLIANCE_OFFICER])
# Ann's API token: another actor id, the same person.
ANN_TOKEN = make_actor("token", "tok_1", "ann/ci", [Role.COMPLIANCE_OFFICER], user_id="u-ann")


def test_approval_is_by_a_second_authenticated_person_with_the_permission() -> None:
    author = maker_of(ANN, what="script s v1")
    assert author == "user:u-ann"
    for same in (ANN, ANN_TOKEN):
        with pytest.raises(SelfApprovalError, match="someone other than its author"):
            check_approver(author=author, approver=same, permission=Permission.SCRIPT_APPROVE,
                           what="script s v1")  # fmt: skip
    assert check_approver(author=author, approver=BO, permission=Permission.SCRIPT_APPROVE,
                          what="script s v1") == "user:u-bo"  # fmt: skip
    collector = make_actor("user", "u-cy", "cy", [Role.COLLECTOR])
    with pytest.raises(PermissionDeniedError):
        check_approver(author=author, approver=collector, permission=Permission.SCRIPT_APPROVE,
                       what="script s v1")  # fmt: skip


def test_a_system_job_neither_drafts_nor_approves() -> None:
    shell = operator_actor("ops")
    with pytest.raises(MissingIdentityError, match="signed-in person"):
        maker_of(shell, what="model m v1")
    with pytest.raises(MissingIdentityError, match="signed-in person"):
        check_approver(author="user:u-ann", approver=shell, permission=Permission.JOB_RUN,
                       what="model m v1")  # fmt: skip
