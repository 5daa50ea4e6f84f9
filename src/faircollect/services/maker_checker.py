"""Maker-checker, in one place: a change takes effect only when a second, different person
approves it.

Scripts, playbooks and model promotion all call `check_second_person` with the author's and the
approver's identities. Until identities are authenticated users (`services.authorization.Actor`),
they are strings typed on the command line, so they are compared after normalisation: NFKC, then
invisible format characters (zero-width spaces, joiners, bidi marks) removed, inner whitespace
collapsed, ends stripped, and casefolded. ``Ann``, ``ann `` and `` ann`` are therefore all ``ann``,
and cannot approve what ``ann`` drafted. Anything with an ``id`` attribute (an Actor) is compared
by that id, normalised the same way.
"""

from __future__ import annotations

import unicodedata
from typing import Protocol

from faircollect.kit.limits import MAX_TEXT


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
