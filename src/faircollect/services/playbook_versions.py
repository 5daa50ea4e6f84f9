"""Use cases for playbook versions: draft (validated, audited) and approve (maker-checker).

A draft is checked against the template catalogue and the rule pack its `pack:` key names; it
runs only once a second person approves it (services.maker_checker), which retires the name's
previously approved version. Both are audited. The use cases take the acting user: drafting
needs PLAYBOOK_DRAFT, approving PLAYBOOK_APPROVE, and the approver is compared with the author
by identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.playbooks import Catalogue, Playbook, PlaybookError, load_playbook
from faircollect.playbooks.loader import pack_named
from faircollect.policy.packs import RulePack, load_pack
from faircollect.services.authorization import Actor, Permission, require
from faircollect.services.maker_checker import check_approver, maker_of
from faircollect.services.ports import AuditTrail, UnitOfWork


class PlaybookVersionError(ValueError):
    """A draft or approval that cannot be made; the message names the playbook and why."""


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A stored playbook version, as approval needs it."""

    name: str
    version: int
    status: str  # draft | approved | retired
    author: str
    sha256: str


class PlaybookStore(Protocol):
    """Playbook versions, inside the caller's transaction."""

    def version(self, name: str, version: int) -> StoredVersion | None: ...

    def add_draft(self, book: Playbook, body: str, author: str, at: datetime) -> None: ...

    def approve(self, name: str, version: int, approver: str, at: datetime) -> None:
        """Mark the version approved and retire the name's previously approved one."""
        ...


class PlaybookUnit(UnitOfWork, Protocol):
    """A unit of work (one transaction) with the playbook store."""

    @property
    def playbooks(self) -> PlaybookStore: ...


def playbook_pack(text: str, where: str) -> RulePack:
    """The rule pack a playbook file names (its `pack:` key), for checking it."""
    try:
        return load_pack(pack_named(text, where=where))
    except ValueError as exc:
        if isinstance(exc, PlaybookError):
            raise
        raise PlaybookVersionError(f"{where}: {exc}") from exc


def add_draft(
    store: PlaybookStore, audit: AuditTrail, *, text: str, where: str, actor: Actor,
    templates: Catalogue, at: datetime,
) -> Playbook:  # fmt: skip
    """Validate and store a draft by the person `actor` inside a transaction the caller holds;
    `draft_playbook` is the use case."""
    book = load_playbook(text, where=where, templates=templates, pack=playbook_pack(text, where))
    author = maker_of(actor, what=f"playbook {book.name} v{book.version}")
    if store.version(book.name, book.version) is not None:
        raise PlaybookVersionError(
            f"{where}: playbook {book.name} version {book.version} already exists;"
            " raise the version"
        )
    store.add_draft(book, text, author, at)
    audit.append_records([AuditRecord(
        AuditKind.PLAYBOOK_DRAFTED, at, author, f"playbook:{book.name}",
        {"version": book.version, "pack": book.pack, "sha256": book.sha256},
    )])  # fmt: skip
    return book


def add_approval(
    store: PlaybookStore, audit: AuditTrail, *, name: str, version: int, approver: Actor,
    at: datetime,
) -> str:  # fmt: skip
    """Approve a draft inside a transaction the caller holds: a second person holding
    PLAYBOOK_APPROVE (maker_checker.check_approver); returns the approver's person label.
    `approve_playbook` is the use case."""
    row = store.version(name, version)
    if row is None:
        raise PlaybookVersionError(f"no playbook {name!r} version {version}")
    if row.status != "draft":
        raise PlaybookVersionError(f"playbook {name} v{version} is {row.status}, not a draft")
    checker = check_approver(author=row.author, approver=approver,
                             permission=Permission.PLAYBOOK_APPROVE,
                             what=f"playbook {name} v{version}")  # fmt: skip
    store.approve(name, version, checker, at)
    audit.append_records([AuditRecord(
        AuditKind.PLAYBOOK_APPROVED, at, checker, f"playbook:{name}",
        {"version": version, "sha256": row.sha256, "author": row.author},
    )])  # fmt: skip
    return checker


def draft_playbook(
    uow: PlaybookUnit, *, actor: Actor, text: str, where: str, templates: Catalogue
) -> Playbook:
    """Validate a playbook and store it as a draft by `actor` (it runs only once approved);
    needs PLAYBOOK_DRAFT; audited. One transaction."""
    with uow:
        require(uow, actor, Permission.PLAYBOOK_DRAFT, subject=f"playbook:{where}")
        book = add_draft(uow.playbooks, uow.audit, text=text, where=where, actor=actor,
                         templates=templates, at=uow.clock.now())  # fmt: skip
        uow.commit()
    return book


def approve_playbook(uow: PlaybookUnit, *, actor: Actor, name: str, version: int) -> str:
    """`actor`, a second person, approves a draft; it replaces the name's approved version;
    needs PLAYBOOK_APPROVE; audited. One transaction. Returns the approver's identity."""
    with uow:
        require(uow, actor, Permission.PLAYBOOK_APPROVE, subject=f"playbook:{name}")
        checker = add_approval(uow.playbooks, uow.audit, name=name, version=version,
                               approver=actor, at=uow.clock.now())  # fmt: skip
        uow.commit()
    return checker
