"""Error pages: what a person sees when a page fails (the API answers problem+json instead)."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from faircollect.entrypoints.web.i18n import N_, translations
from faircollect.entrypoints.web.rendering import page_language, render

MESSAGES = {
    401: N_("Please sign in."),
    403: N_("Your role does not allow this page."),
    404: N_("There is no such page."),
    413: N_("What was sent is too large."),
    422: N_("Something in the request is not valid."),
    500: N_("Something went wrong on our side. Nothing was changed."),
}


def error_page(request: Request, status: int) -> Response:
    """The page for an error status; a visitor who is not signed in is sent to sign in."""
    if status == 401:
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    catalog = translations(page_language(request))
    message = catalog.gettext(
        MESSAGES.get(status, MESSAGES[422] if status < 500 else MESSAGES[500])
    )
    title = f"{status} {HTTPStatus(status).phrase}"
    return render(request, "error.html", status=status, title=title, message=message)


CSRF_MESSAGE = N_(
    "This form has expired or was not sent from this site, so nothing was done."
    " Reload the page and try again."
)


def csrf_page(request: Request) -> Response:
    """The answer to a page form refused by the CSRF check (403; nothing was done)."""
    message = translations(page_language(request)).gettext(CSRF_MESSAGE)
    title = f"403 {HTTPStatus(403).phrase}"
    return render(request, "error.html", status=403, title=title, message=message)
