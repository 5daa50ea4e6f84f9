"""Rendering a page: the Jinja2 environment (autoescaped: text from tapes, notes and borrowers is
shown, never run), the page's language, the lender's branding and the role-aware navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_timezone_name
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from faircollect.bootstrap import App
from faircollect.entrypoints.http.access import LANGUAGE_COOKIE, REGISTRY, current_session
from faircollect.entrypoints.http.cookies import presession_token, remember_presession
from faircollect.entrypoints.web.i18n import N_, choose_language, translations
from faircollect.entrypoints.web.labels import label
from faircollect.kit.masking import mask_phone
from faircollect.kit.money import format_minor
from faircollect.services.authorization import Actor, Permission

TEMPLATES = Path(__file__).parent / "templates"

ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,  # every template, whatever its name
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def money(minor: int, currency: str) -> str:
    """``123456, "CNY"`` → ``1234.56 CNY`` (exact: formatted from the integer)."""
    return f"{format_minor(int(minor))}\u00a0{currency}"  # kept on one line


def amount(minor: int) -> str:
    """``123456`` → ``1234.56``: a table cell whose column header names the currency."""
    return format_minor(int(minor))


# The Babel locale of each page language (dates, times and zone names are written in it).
_LOCALES = {"zh": "zh_Hans_CN", "en": "en"}


def local_time(moment: datetime, zone: str, language: str) -> str:
    """A stored instant in the borrower's zone, in the reader's language, with the zone named:
    ``2025年9月1日 10:00（中国标准时间，Asia/Shanghai）`` or ``Sep 1, 2025, 10:00 AM (China
    Standard Time, Asia/Shanghai)``. What the borrower's clock showed is what the rules on
    contact hours speak of (a call at 02:00 UTC was a call at 10:00 in Shanghai). A zone that
    cannot be read is shown as UTC, said so."""
    try:
        tz: tzinfo = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = UTC, "UTC"
    local = moment.astimezone(tz)
    where = _LOCALES.get(language, "en")
    day = format_date(local, "medium", locale=where)
    clock = format_time(local, "short", locale=where)
    name = get_timezone_name(local, "long", locale=where)
    if language == "zh":
        return f"{day} {clock}（{name}，{zone}）"
    return f"{day}, {clock} ({name}, {zone})"


def percent(rate: str) -> str:
    """A stored decimal rate as a percentage: ``"0.1540"`` → ``15.4 %`` (exact, never a float)."""
    try:
        value = Decimal(rate) * 100
    except InvalidOperation:
        return str(rate)
    text = format(value.normalize(), "f")
    return f"{text}\u00a0%"


ENV.filters["money"] = money
ENV.filters["percent"] = percent
ENV.filters["mask_phone"] = mask_phone
ENV.filters["label"] = label
ENV.filters["amount"] = amount
ENV.filters["local_time"] = local_time


@dataclass(frozen=True, slots=True)
class NavItem:
    """A navigation link, shown to those holding its permission."""

    label: str  # an English msgid, translated when rendered
    href: str
    permission: Permission


NAVIGATION = (
    NavItem(N_("Accounts"), "/accounts", Permission.ACCOUNT_READ),
    NavItem(N_("My loans"), "/my", Permission.ACCOUNT_READ_OWN),
    NavItem(N_("Users and roles"), "/admin/users", Permission.USER_MANAGE),
)


def navigation(actor: Actor | None) -> list[NavItem]:
    """The links the actor may follow (none before sign-in)."""
    if actor is None:
        return []
    return [item for item in NAVIGATION if item.permission in actor.permissions]


def page_language(request: Request) -> str:
    """The language of this request's page."""
    return choose_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def page_path(request: Request) -> str:
    """Where the language links come back to: this page, or for the answer to a form (a POST,
    which a GET would not reach) the nearest page above it (/login/borrower/code → /login)."""
    path = request.url.path
    if request.method == "GET":
        return path
    while path not in ("", "/") and ("GET", path) not in REGISTRY:
        path = path.rsplit("/", 1)[0]
    return path or "/"


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render `template` for this request, with the shared page context (the session's CSRF
    token, or before sign-in the pre-session one, whose cookie is set here when new)."""
    app: App = request.app.state.faircollect
    language = page_language(request)
    catalog = translations(language)
    session = current_session(request)
    actor = session.actor if session else None
    s = app.settings
    html = ENV.get_template(template).render(
        _=catalog.gettext,
        lang=language,
        brand={
            "name": s.brand_name,
            "hotline": s.brand_hotline,
            "portal_url": s.brand_portal_url,
        },
        actor=actor,
        # Until the initial password is changed, every link would lead back to /password.
        nav=[] if getattr(session, "must_change_password", False) else navigation(actor),
        csrf_token=session.csrf_token if session else presession_token(request),
        path=page_path(request),
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    if session is None:
        remember_presession(request, response)
    return response
