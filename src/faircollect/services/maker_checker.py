"""Maker-checker, in one place: a change takes effect only when a second, different,
authenticated person holding the approving permission approves it.

`maker_of` names the author of a draft from its authenticated actor and `check_approver` admits
the approver: both are people (``Actor.person``: ``user:<id>``, the same whether the user signed in
or presented one of their API tokens), the approver holds the approving permission, and is not the
author. Drafts store the author's person label and approvals the approver's, so a self-approval is
refused by identity, not by name. Scripts and model promotion use these.

`check_second_person` and `normalise_identity` are the earlier, name-based form (still used by
the playbook workflow while it moves to actors): strings are compared after normalisation (NFKC,
invisible format characters removed, whitespace collapsed, casefolded), so ``Ann``, ``ann `` and
`` ann`` are one person. An `Actor` passed to them is compared by its person.
"""

from __future__ import annotations

import unicodedata
from typing import Protocol

from faircollect.kit.limits import MAX_TEXT
from faircollect.services.authorization import Actor, Permission, PermissionDeniedError


class HasId(Protocol):
    """An identity object (e.g. an authenticated actor) compared by its id."""

    @property
    def id(self) -> str: ...


Identity = str | HasId


class MakerCheckerError(ValueError):
    """A maker-checker refusal; the message says which rule."""


class MissingIdentityError(MakerCheckerError):
    """An author or approver that is empty (or only spaces and invisible characters)."""


class SelfApprovalError(MakerCheckerError):
    """The approver is the author (after normalisation)."""


def normalise_identity(who: Identity, *, role: str = "identity") -> str:
    """The comparable form of an identity: NFKC, format characters dropped, whitespace collapsed,
    casefolded. Raises MissingIdentityError when nothing is left or it is too long."""
    if isinstance(who, Actor):
        raw = who.person or who.label
    else:
        raw = who if isinstance(who, str) else who.id
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = " ".join(text.split()).casefold()
    # casefold can lengthen ("ß" -> "ss") and produce non-NFKC text; normalise once more.
    text = unicodedata.normalize("NFKC", text)
    if not text:
        raise MissingIdentityError(f"maker-checker: the {role} is missing")
    if len(text) > MAX_TEXT["id"]:
        raise MissingIdentityError(
            f"maker-checker: the {role} is longer than {MAX_TEXT['id']} characters"
        )
    return text


def check_second_person(*, author: Identity, approver: Identity, what: str) -> str:
    """Refuse self-approval of `what` (e.g. "playbook banded v1"); return the approver's
    normalised identity, which the caller stores and audits.

    Raises SelfApprovalError when author and approver are the same person after
    normalisation, MissingIdentityError when either is empty.
    """
    maker = normalise_identity(author, role="author")
    checker = normalise_identity(approver, role="approver")
    if maker == checker:
        raise SelfApprovalError(
            f"maker-checker: {what} must be approved by someone other than its author"
        )
    return checker


def maker_of(actor: Actor, *, what: str) -> str:
    """The person label (``user:<id>``) a draft of `what` records as its author; a borrower or a
    system job cannot author one (MissingIdentityError)."""
    if actor.person is None:
        raise MissingIdentityError(
            f"maker-checker: {what} needs a signed-in person as its author, not {actor.label}"
        )
    return actor.person


def check_approver(*, author: str, approver: Actor, permission: Permission, what: str) -> str:
    """Admit `approver` for `what`, drafted by the person `author` (as `maker_of` recorded it);
    return the approver's person label, which the caller stores and audits.

    Raises MissingIdentityError for an approver who is not a person, PermissionDeniedError
    without `permission` (callers `require` it first, which audits the denial), and
    SelfApprovalError when the approver is the author.
    """
    checker = approver.person
    if checker is None:
        raise MissingIdentityError(
            f"maker-checker: {what} needs a signed-in person to approve it, not {approver.label}"
        )
    if permission not in approver.permissions:
        raise PermissionDeniedError(approver, permission)
    if checker == author:
        raise SelfApprovalError(
            f"maker-checker: {what} must be approved by someone other than its author"
        )
    return checker
