"""Users and roles, for admins: the list of users, the role matrix, and adding, locking,
unlocking and resetting the second factor of a user through the identity admin use cases.

A new user's initial password and TOTP secret (and a reset's new secret) are shown once, in the
answer to the form that made them, never stored in the page or a log. The route guard checked
the CSRF token; each use case re-checks USER_MANAGE and audits the change.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from faircollect.bootstrap import App
from faircollect.entrypoints.http.access import Via, request_actor, route
from faircollect.entrypoints.web.i18n import N_, translations
from faircollect.entrypoints.web.rendering import page_language, render
from faircollect.services import identity
from faircollect.services.authorization import ROLE_PERMISSIONS, Permission, Role

router = APIRouter()
MANAGE = (Permission.USER_MANAGE,)
Username = Annotated[str, Path(min_length=1, max_length=64)]
STAFF_ROLES = [role for role in Role if role is not Role.BORROWER]
DONE = {
    "lock": N_("The user is locked; their sessions and tokens stopped working."),
    "unlock": N_("The user is unlocked."),
}


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


def _page(request: Request, status: int = 200, **shown: Any) -> HTMLResponse:
    users = identity.list_users(_app(request).unit_of_work(), actor=request_actor(request))
    matrix = [(role, sorted(p.value for p in ROLE_PERMISSIONS[role])) for role in Role]
    context = {"created": None, "reset": None, "message": "", **shown}
    return render(request, "admin_users.html", status=status, users=users, matrix=matrix,
                  roles=STAFF_ROLES, **context)  # fmt: skip


def _say(request: Request, message: str) -> str:
    return translations(page_language(request)).gettext(message)


@route(router, "GET", "/admin/users", permissions=MANAGE, via=Via.SESSION,
       include_in_schema=False)  # fmt: skip
def users(request: Request) -> HTMLResponse:
    """The users, their roles and state, and the role matrix."""
    return _page(request)


@route(router, "POST", "/admin/users", permissions=MANAGE, via=Via.SESSION,
       include_in_schema=False)  # fmt: skip
def add(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    roles: Annotated[list[str], Form(max_length=len(Role))] = [],  # noqa: B006 (FastAPI copies it)
    agency_id: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """Add a user; the answer shows their initial password and TOTP secret, once."""
    try:
        new = identity.add_user(
            _app(request).unit_of_work(), actor=request_actor(request), username=username,
            roles=roles, agency_id=agency_id.strip() or None,
        )  # fmt: skip
    except identity.IdentityError as exc:
        return _page(request, 422, message=str(exc))
    return _page(request, 201, created=new)


def _act(request: Request, username: str, action: str) -> HTMLResponse:
    uow, actor = _app(request).unit_of_work(), request_actor(request)
    try:
        if action == "lock":
            identity.lock_user(uow, actor=actor, username=username)
        elif action == "unlock":
            identity.unlock_user(uow, actor=actor, username=username)
        else:
            reset = identity.reset_totp(uow, actor=actor, username=username)
            return _page(request, reset=reset)
    except identity.UnknownUserError:
        return _page(request, 404, message=_say(request, N_("There is no such user.")))
    except identity.LastAdminError:
        message = N_("This would leave no administrator who can manage users.")
        return _page(request, 409, message=_say(request, message))
    return _page(request, message=_say(request, DONE[action]))


@route(router, "POST", "/admin/users/{username}/lock", permissions=MANAGE, via=Via.SESSION,
       include_in_schema=False)  # fmt: skip
def lock(request: Request, username: Username) -> HTMLResponse:
    """Lock a user out."""
    return _act(request, username, "lock")


@route(router, "POST", "/admin/users/{username}/unlock", permissions=MANAGE, via=Via.SESSION,
       include_in_schema=False)  # fmt: skip
def unlock(request: Request, username: Username) -> HTMLResponse:
    """Unlock a user and clear their failures."""
    return _act(request, username, "unlock")


@route(router, "POST", "/admin/users/{username}/reset-totp", permissions=MANAGE,
       via=Via.SESSION, include_in_schema=False)  # fmt: skip
def reset_totp(request: Request, username: Username) -> HTMLResponse:
    """Give a user a new TOTP secret (shown once)."""
    return _act(request, username, "reset")
