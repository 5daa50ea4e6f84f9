"""Signing in and out: staff with a password and an authenticator code, borrowers with a code
sent to their phone, the initial password changed before anything else.

The route guard has checked the CSRF token and the origin before any of these runs. Identity
audits every sign-in, failure, lock and refusal and commits it before raising, so an error
answer here loses no record. A failure says one thing whatever failed.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from faircollect.bootstrap import App
from faircollect.entrypoints.http.access import (
    PUBLIC,
    Via,
    current_session,
    optional_actor,
    route,
)
from faircollect.entrypoints.http.cookies import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    set_cookie,
)
from faircollect.entrypoints.web.i18n import N_, translations
from faircollect.entrypoints.web.pages import safe_next
from faircollect.entrypoints.web.rendering import page_language, render
from faircollect.kit.limits import AUTH
from faircollect.services import identity
from faircollect.services.authorization import NotAuthenticatedError

router = APIRouter()
Next = Annotated[str, Form(max_length=500)]
Phone = Annotated[str, Form(min_length=1, max_length=32)]
Secret = Annotated[str, Form(min_length=1, max_length=AUTH["password_max"])]
Code = Annotated[str, Form(min_length=1, max_length=16)]

FAILED = N_("The user name, password or code is not right.")
LOCKED = N_("This account is locked. Ask an administrator to unlock it.")
LIMITED = N_("Too many attempts. Please wait and try again.")
CODE_SENT = N_(
    "If this number is on a loan, a code is on its way. Enter it below within 5 minutes."
)
BAD_PHONE = N_("Enter the phone number with 6 to 20 digits.")
WRONG_PASSWORD = N_("The current password is not right.")
WEAK_PASSWORD = N_("The new password needs 12 to 1024 characters and must differ from the old.")
MISMATCH = N_("The two new passwords differ.")


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _say(request: Request, message: str) -> str:
    return translations(page_language(request)).gettext(message)


def _login_page(request: Request, status: int, message: str, **extra: str) -> Response:
    headers = extra.pop("retry_after", None)
    return render(
        request, "login.html", status=status, message=_say(request, message),
        next=extra.pop("next", "/"), phone=extra.pop("phone", ""),
        headers={"Retry-After": headers} if headers else None,
    )  # fmt: skip


def _signed_in(request: Request, issued: identity.IssuedSession, target: str) -> Response:
    """The new session's cookie (the old one is replaced) and where to go."""
    target = safe_next(target)
    if issued.must_change_password:
        target = f"/password?next={quote(target, safe='/')}"
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, issued.token, None)
    clear_cookie(request, response, PRESESSION_COOKIE)
    return response


@route(router, "POST", "/login/password", permissions=PUBLIC, via=Via.SESSION,
       include_in_schema=False)  # fmt: skip
def login_password(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Secret,
    totp_code: Code,
    next: Next = "/",
) -> Response:
    """A staff sign-in: 303 to `next` (or to /password first), else the login page again."""
    target = safe_next(next)
    try:
        issued = identity.login_password(
            _app(request).unit_of_work(), username=username, password=password,
            totp_code=totp_code, address=_address(request),
            previous_token=request.cookies.get(SESSION_COOKIE),
        )  # fmt: skip
    except identity.LoginRateLimitedError as exc:
        return _login_page(request, 429, LIMITED, next=target,
                           retry_after=str(exc.retry_after_seconds))  # fmt: skip
    except identity.AccountLockedError:
        return _login_page(request, 403, LOCKED, next=target)
    except identity.LoginFailedError:
        return _login_page(request, 400, FAILED, next=target)
    return _signed_in(request, issued, target)


@route(router, "POST", "/login/borrower/code", permissions=PUBLIC, via=Via.SESSION,
       include_in_schema=False)  # fmt: skip
def borrower_code(request: Request, phone: Phone, next: Next = "/") -> Response:
    """Send a sign-in code (the same answer whether or not the number is registered)."""
    app = _app(request)
    target = safe_next(next)
    try:
        identity.request_borrower_code(
            app.unit_of_work(), phone=phone, address=_address(request), send=app.code_sender(),
            sender=app.settings.brand_sms_signature,
        )  # fmt: skip
    except identity.LoginRateLimitedError as exc:
        return _login_page(request, 429, LIMITED, next=target, phone=phone[:32],
                           retry_after=str(exc.retry_after_seconds))  # fmt: skip
    except identity.IdentityError:
        return _login_page(request, 422, BAD_PHONE, next=target)
    return _login_page(request, 200, CODE_SENT, next=target, phone=phone[:32])


@route(router, "POST", "/login/borrower/verify", permissions=PUBLIC, via=Via.SESSION,
       include_in_schema=False)  # fmt: skip
def borrower_verify(request: Request, phone: Phone, code: Code, next: Next = "/") -> Response:
    """A borrower's sign-in with the code from their phone."""
    target = safe_next(next)
    try:
        issued = identity.verify_borrower_code(
            _app(request).unit_of_work(), phone=phone, code=code, address=_address(request)
        )
    except identity.LoginRateLimitedError as exc:
        return _login_page(request, 429, LIMITED, next=target, phone=phone[:32],
                           retry_after=str(exc.retry_after_seconds))  # fmt: skip
    except identity.IdentityError:
        return _login_page(request, 422, BAD_PHONE, next=target)
    except identity.LoginFailedError:
        return _login_page(request, 400, FAILED, next=target, phone=phone[:32])
    if request.cookies.get(SESSION_COOKIE):
        # A session cookie from before sign-in never survives it.
        identity.logout(_app(request).unit_of_work(), token=request.cookies[SESSION_COOKIE])
    return _signed_in(request, issued, target)


@route(router, "POST", "/logout", permissions=PUBLIC, via=Via.SESSION, include_in_schema=False)
def logout(request: Request) -> Response:
    """End the session (the guard checked the form carries its CSRF token) and forget it."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        identity.logout(_app(request).unit_of_work(), token=token)
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


def _staff(request: Request) -> identity.SessionView:
    session = current_session(request)
    actor = optional_actor(request)
    if session is None or actor is None or actor.kind != "user":
        raise NotAuthenticatedError("sign in first")
    return session  # type: ignore[return-value]


@route(router, "GET", "/password", permissions=PUBLIC, via=Via.SESSION, include_in_schema=False)
def password_page(request: Request, next: str = "/") -> Response:
    """The form to set a new password (required after the initial one)."""
    session = _staff(request)
    return render(request, "password.html", next=safe_next(next), message="",
                  must_change=bool(getattr(session, "must_change_password", False)))  # fmt: skip


@route(router, "POST", "/password", permissions=PUBLIC, via=Via.SESSION, include_in_schema=False)
def password_change(
    request: Request,
    password: Secret,
    new_password: Secret,
    confirm_password: Secret,
    next: Next = "/",
) -> Response:
    """Change the signed-in user's own password, then go on to `next`."""
    session = _staff(request)
    target = safe_next(next)
    must = bool(getattr(session, "must_change_password", False))

    def again(status: int, message: str) -> Response:
        return render(request, "password.html", status=status, next=target,
                      message=_say(request, message), must_change=must)  # fmt: skip

    if new_password != confirm_password:
        return again(422, MISMATCH)
    try:
        identity.change_password(
            _app(request).unit_of_work(), actor=session.actor, password=password,
            new_password=new_password,
        )  # fmt: skip
    except identity.LoginFailedError:
        return again(400, WRONG_PASSWORD)
    except identity.IdentityError:
        return again(422, WEAK_PASSWORD)
    return RedirectResponse(target, status_code=303)
