"""The session and pre-session cookies, and the one CSRF check of the pages' unsafe requests.

Cookies: `faircollect_session` (the session token) and `faircollect_presession` (a random value
for the forms shown before sign-in), both `HttpOnly`, `SameSite=Lax`, `Path=/` and `Secure`.
`Settings.cookie_secure = False` (FAIRCOLLECT_COOKIE_SECURE=0) drops `Secure` only when the page
was asked for on a loopback host (127.0.0.1, ::1, localhost): a plain-http demo or test.

CSRF, checked by the route guard (`access.route`) before every page route with an unsafe method
runs, so no form can forget it (the API, authenticated by bearer tokens, sends no cookie):
1. Origin: a browser's `Origin` (or, without one, its `Referer`) must be this site's own origin;
   `null` and other sites are refused. Neither header (a script, not a browser) falls to 2.
2. The token: the form field `csrf_token` (or the `X-CSRF-Token` header) must equal the
   session's own token when a session cookie resolves; before sign-in, it must equal the
   HMAC (identity key, purpose "pre-session-csrf") of the pre-session cookie's random value: a
   signed double submit, which another site can neither read nor forge or plant a match for.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from faircollect.bootstrap import App
from faircollect.kit.limits import MAX_PRESESSION_NONCE

SESSION_COOKIE = "faircollect_session"
PRESESSION_COOKIE = "faircollect_presession"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_NEW_NONCE = "faircollect.presession"


class CsrfRefusedError(Exception):
    """An unsafe page request without this site's origin or the right CSRF token."""


def _app(request: Request) -> App:
    app: App = request.app.state.faircollect
    return app


def secure_cookies(request: Request) -> bool:
    """Whether this response's cookies carry `Secure` (always, but on loopback when disabled)."""
    if _app(request).settings.cookie_secure:
        return True
    return (request.url.hostname or "") not in LOOPBACK


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None
) -> None:
    """Set one of the service's cookies with its flags."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=secure_cookies(request),
        httponly=True, samesite="lax",
    )  # fmt: skip


def clear_cookie(request: Request, response: Response, name: str) -> None:
    """Remove a cookie (with the same flags it was set with)."""
    response.delete_cookie(
        name, path="/", secure=secure_cookies(request), httponly=True, samesite="lax"
    )


def _presession_token(request: Request, nonce: str) -> str:
    return _app(request).credentials.keyed("pre-session-csrf", nonce)


def presession_token(request: Request) -> str:
    """The CSRF token of a form shown before sign-in; a new pre-session value is made (and set
    as a cookie by `remember_presession`) when the browser has none."""
    nonce = request.cookies.get(PRESESSION_COOKIE) or request.scope.get(_NEW_NONCE)
    if not nonce or len(nonce) > MAX_PRESESSION_NONCE:
        nonce = secrets.token_urlsafe(32)
        request.scope[_NEW_NONCE] = nonce
    return _presession_token(request, nonce)


def remember_presession(request: Request, response: Response) -> None:
    """Set the pre-session cookie if this request made a new value."""
    nonce = request.scope.get(_NEW_NONCE)
    if nonce:
        set_cookie(request, response, PRESESSION_COOKIE, nonce, None)


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '')}".lower()


def origin_allowed(request: Request) -> bool:
    """Step 1: the request comes from one of this site's pages (or from no browser at all)."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            return True
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin.rstrip("/").lower() == _own_origin(request)


async def presented_token(request: Request) -> str | None:
    """The CSRF token the request carries: the header, else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    value = (await request.form()).get(CSRF_FIELD)  # parsed once: the endpoint reuses it
    return value if isinstance(value, str) else None


def check_csrf(request: Request, presented: str | None, session_csrf: str | None) -> None:
    """Refuse (`CsrfRefusedError`) an unsafe page request failing step 1 or 2 above."""
    if not origin_allowed(request):
        raise CsrfRefusedError("the request did not come from this site")
    if session_csrf is not None:
        expected = session_csrf
    else:
        nonce = request.cookies.get(PRESESSION_COOKIE)
        if not nonce or len(nonce) > MAX_PRESESSION_NONCE:
            raise CsrfRefusedError("no pre-session cookie")
        expected = _presession_token(request, nonce)
    if presented is None or not hmac.compare_digest(expected, presented):
        raise CsrfRefusedError("the form's token is missing or not this session's")
