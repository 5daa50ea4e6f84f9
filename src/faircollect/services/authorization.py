"""Who may do what: roles, permissions, the acting user, and the one place that decides.

Every use case calls `authorize` (or `require`, which also audits a denial) with the actor it was
given; the CLI, the API and the web pages share it, so a permission is enforced once. The matrix is
documented in docs/roles.md, and a test holds the document and `ROLE_PERMISSIONS` equal.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from faircollect.audit.records import AuditKind, AuditRecord
from faircollect.services.ports import UnitOfWork


class Role(StrEnum):
    """A role a user holds; agency roles are scoped to one agency, the borrower to themselves."""

    ADMIN = "admin"
    COLLECTIONS_MANAGER = "collections_manager"
    COLLECTOR = "collector"
    COMPLIANCE_OFFICER = "compliance_officer"
    AUDITOR = "auditor"
    AGENCY_ADMIN = "agency_admin"
    AGENCY_COLLECTOR = "agency_collector"
    BORROWER = "borrower"


class Permission(StrEnum):
    """An action on a kind of resource (stable names: tokens are scoped by them)."""

    ACCOUNT_READ = "account.read"  # any account in the actor's scope
    ACCOUNT_READ_OWN = "account.read_own"  # a borrower's own loans
    PII_VIEW = "pii.view"  # personal fields, masked
    PII_REVEAL = "pii.reveal"  # unmasked, with a reason, audited
    CONTACT_DECIDE = "contact.decide"  # ask the gate for a contact
    CONTACT_OUTCOME = "contact.outcome"
    MESSAGE_SCREEN = "message.screen"
    PAYMENT_RECORD = "payment.record"
    BORROWER_FACT_RECORD = "borrower_fact.record"  # opt-out, cease, dispute, hardship, …
    BORROWER_FACT_RECORD_OWN = "borrower_fact.record_own"  # the borrower's own requests
    PROMISE_RECORD = "promise.record"
    PLAN_CREATE = "plan.create"
    SCRIPT_DRAFT = "script.draft"
    SCRIPT_APPROVE = "script.approve"
    PLAYBOOK_DRAFT = "playbook.draft"
    PLAYBOOK_APPROVE = "playbook.approve"
    MODEL_TRAIN = "model.train"
    MODEL_PROMOTE = "model.promote"
    STRATEGY_PROPOSE = "strategy.propose"  # a champion/challenger strategy file, as a draft
    STRATEGY_APPROVE = "strategy.approve"  # put a proposed file live (maker-checker)
    JOB_RUN = "job.run"  # batch, scoring, the daily cycle
    TAPE_IMPORT = "tape.import"  # load a lender's tape: the debts and the borrowers' data
    CONTACTS_EXPORT = "contacts.export"
    AUDIT_READ = "audit.read"  # checkpoints, proofs, bundles, verification
    REPORT_READ = "report.read"
    USER_MANAGE = "user.manage"  # add users, change roles, reset TOTP, lock, unlock
    TOKEN_MANAGE = "token.manage"  # noqa: S105 (a permission name) create and revoke tokens


P = Permission
_DESK = frozenset(
    {
        P.ACCOUNT_READ,
        P.PII_VIEW,
        P.PII_REVEAL,
        P.CONTACT_DECIDE,
        P.CONTACT_OUTCOME,
        P.MESSAGE_SCREEN,
        P.BORROWER_FACT_RECORD,
        P.PROMISE_RECORD,
        P.PLAN_CREATE,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # The admin runs the system and its users but reads no account or personal data.
    Role.ADMIN: frozenset({P.USER_MANAGE, P.TOKEN_MANAGE, P.JOB_RUN}),
    Role.COLLECTIONS_MANAGER: _DESK
    | {
        P.PAYMENT_RECORD,
        P.SCRIPT_DRAFT,
        P.PLAYBOOK_DRAFT,
        P.MODEL_TRAIN,
        P.STRATEGY_PROPOSE,
        P.JOB_RUN,
        P.TAPE_IMPORT,
        P.CONTACTS_EXPORT,
        P.REPORT_READ,
    },
    Role.COLLECTOR: _DESK,
    # Compliance approves what managers draft (maker-checker) and reads the evidence.
    Role.COMPLIANCE_OFFICER: frozenset(
        {
            P.ACCOUNT_READ,
            P.PII_VIEW,
            P.PII_REVEAL,
            P.MESSAGE_SCREEN,
            P.BORROWER_FACT_RECORD,
            P.SCRIPT_DRAFT,
            P.SCRIPT_APPROVE,
            P.PLAYBOOK_APPROVE,
            P.MODEL_PROMOTE,
            P.STRATEGY_APPROVE,
            P.CONTACTS_EXPORT,
            P.AUDIT_READ,
            P.REPORT_READ,
        }
    ),
    # A regulator or internal audit: read-only, masked, evidence.
    Role.AUDITOR: frozenset(
        {P.ACCOUNT_READ, P.PII_VIEW, P.CONTACTS_EXPORT, P.AUDIT_READ, P.REPORT_READ}
    ),
    Role.AGENCY_ADMIN: _DESK - {P.PII_REVEAL, P.PLAN_CREATE} | {P.REPORT_READ},
    Role.AGENCY_COLLECTOR: _DESK - {P.PII_REVEAL, P.PLAN_CREATE},
    Role.BORROWER: frozenset({P.ACCOUNT_READ_OWN, P.BORROWER_FACT_RECORD_OWN}),
}

AGENCY_ROLES = frozenset({Role.AGENCY_ADMIN, Role.AGENCY_COLLECTOR})
STAFF_ROLES = frozenset(Role) - {Role.BORROWER}


class NotAuthenticatedError(Exception):
    """No valid session or token (HTTP 401)."""


class PermissionDeniedError(Exception):
    """The actor lacks the permission (HTTP 403)."""

    def __init__(self, actor: Actor, permission: Permission) -> None:
        super().__init__(f"{actor.label} may not {permission.value}")
        self.actor = actor
        self.permission = permission


class NotVisibleError(LookupError):
    """The resource does not exist or lies outside the actor's scope (HTTP 404: no leak)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated user, token or system job a use case acts for.

    ``permissions`` is what the actor may do: its roles' union, narrowed for an API token to the
    token's scopes. Agency roles carry ``agency_id``; a borrower carries ``borrower_id``; a token
    carries its owner's ``user_id`` (the person maker-checker compares).
    """

    kind: str  # "user", "token", "borrower" or "system"
    id: str
    name: str
    roles: frozenset[Role]
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    agency_id: str | None = None
    borrower_id: str | None = None
    user_id: str | None = None  # a token's owner; a user's own id is ``id``

    @property
    def label(self) -> str:
        """How the audit log names the actor: ``kind:id``."""
        return f"{self.kind}:{self.id}"

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def person(self) -> str | None:
        """The staff user behind the actor (``user:<id>``), the same whether they signed in or
        present one of their API tokens; None for a borrower or a system job."""
        if self.kind == "user":
            return f"user:{self.id}"
        if self.kind == "token" and self.user_id:
            return f"user:{self.user_id}"
        return None


def permissions_of(roles: Collection[Role]) -> frozenset[Permission]:
    """The union of the roles' permissions."""
    out: frozenset[Permission] = frozenset()
    for role in roles:
        out |= ROLE_PERMISSIONS[role]
    return out


def make_actor(
    kind: str,
    actor_id: str,
    name: str,
    roles: Collection[Role],
    *,
    scopes: Collection[Permission] | None = None,
    agency_id: str | None = None,
    borrower_id: str | None = None,
    user_id: str | None = None,
) -> Actor:
    """An actor whose permissions are its roles' (intersected with `scopes` for a token)."""
    granted = permissions_of(roles)
    if scopes is not None:
        granted &= frozenset(scopes)
    return Actor(kind, actor_id, name, frozenset(roles), granted, agency_id, borrower_id, user_id)


def system_actor(job: str) -> Actor:
    """The actor of a scheduled job started by the operator (the daily cycle, the batch)."""
    return Actor("system", job, job, frozenset(), frozenset({P.JOB_RUN}))


# What the operator at the shell may do without signing in (docs/roles.md, "The operator"):
# run jobs and read the reports and the audit evidence they already hold the keys to; never
# personal data, never a draft or an approval, never users or tokens.
OPERATOR_PERMISSIONS = frozenset({P.JOB_RUN, P.REPORT_READ, P.AUDIT_READ})


def operator_actor(os_user: str) -> Actor:
    """The operator running a job at the shell (``system:cli:<os user>``, audited as such)."""
    name = f"cli:{os_user}"
    return Actor("system", name, name, frozenset(), OPERATOR_PERMISSIONS)


def can(actor: Actor, permission: Permission) -> bool:
    """Whether the actor holds the permission."""
    return permission in actor.permissions


def authorize(actor: Actor, permission: Permission) -> None:
    """Raise `PermissionDeniedError` unless the actor holds the permission."""
    if permission not in actor.permissions:
        raise PermissionDeniedError(actor, permission)


def require(uow: UnitOfWork, actor: Actor, permission: Permission, *, subject: str) -> None:
    """`authorize`, and on a denial an audit record (kind 709) committed before the error.

    Call it inside the use case's ``with uow:`` block before anything else is written: a denial
    commits the unit (so the record survives the error), then raises `PermissionDeniedError`.
    """
    if permission in actor.permissions:
        return
    uow.audit.append_records(
        [
            AuditRecord(
                AuditKind.PERMISSION_DENIED,
                uow.clock.now(),
                actor.label,
                subject,
                {"permission": permission.value, "roles": sorted(actor.roles)},
            )
        ]
    )
    uow.commit()
    raise PermissionDeniedError(actor, permission)


def check_scope(actor: Actor, *, borrower_id: str, agency_ids: Collection[str] = ()) -> None:
    """Raise `NotVisibleError` unless the borrower's account lies in the actor's scope.

    A borrower sees only themselves; an agency user only accounts placed with their agency
    (``agency_ids``: the agencies currently holding a placement of the account); lender staff
    and system jobs see every account.
    """
    if Role.BORROWER in actor.roles and actor.borrower_id != borrower_id:
        raise NotVisibleError(borrower_id)
    if actor.roles & AGENCY_ROLES and (
        actor.agency_id is None or actor.agency_id not in agency_ids
    ):
        raise NotVisibleError(borrower_id)
