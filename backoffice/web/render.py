"""Rendering staff pages: the shared context (shop, who is signed in, CSRF token) and display filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

import segno
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context

from ..shop_time import DATE_TIME, local_time, short_time
from . import fields as field_messages
from . import messages
from .i18n import LANGUAGE_NAMES, staff_language, translator
from .templates import templates

SHOWN_MESSAGES = ("message", "notice", "error", "text", "title")
PAGE_SCRIPTS = {"console/console.html": ("console.js", "connect.js"), "admin/group_form.html": ("groups.js",),
                "admin/paired.html": ("pairing.js",)}


@cache
def page_script_texts(scripts: tuple[str, ...], language: str) -> dict[str, str]:
    """A page's scripts' texts and the services' refusals they may show, translated (a JSON block on the page)."""
    gettext = translator(language)
    wanted = ({text for script in scripts for text in messages.script_messages(script)} | messages.refusal_messages()
              | set(messages.CHOSEN_AT_RUN_TIME))
    return {text: gettext(text) for text in sorted(wanted) if gettext(text) != text}


@pass_context
def _local(context, value: dt.datetime | None, fmt: str = DATE_TIME) -> str:
    """A stored UTC time in the shop's time zone (``settings.shop_timezone``), 24-hour."""
    return local_time(value, context.get("shop_tz") or "UTC", fmt)


@pass_context
def _when(context, value: dt.datetime | None) -> str:
    """The time alone when it is today, else the date and time (shop time)."""
    return short_time(value, context.get("shop_tz") or "UTC")


def qr(text: str) -> str:
    """An inline SVG QR code that scales with its box (a viewBox, no fixed size)."""
    return segno.make(text, error="m").svg_inline(scale=1, border=2, dark="#0f172a", omitsize=True)


DECIMAL_COMMA = ("sv", "fr")  # 1 199,00 SEK, as Swedish and French write it


@pass_context
def _money(context, value: Decimal | int | float | None, currency: str = "SEK") -> str:
    if value is None:
        return ""
    amount = f"{Decimal(value):,.2f}"
    if context.get("lang") in DECIMAL_COMMA:
        amount = amount.replace(".", "!").replace(",", "\u202f").replace("!", ",")
    else:
        amount = amount.replace(",", "\u202f")
    return f"{amount} {currency}"


def _quantity(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text


def _thousands(value: int | None) -> str:
    return f"{value or 0:,}".replace(",", "\u202f")


templates.env.filters["local"] = _local
templates.env.filters["when"] = _when
templates.env.filters["money"] = _money
templates.env.filters["qty"] = _quantity
templates.env.filters["thousands"] = _thousands


def page(request: Request, template: str, *, status: int = 200, **context) -> HTMLResponse:
    """Render a staff page; staff pages are never cached (they hold personal data and tokens)."""
    staff = getattr(request.state, "staff", None)
    context.setdefault("staff", staff)
    context.setdefault("csrf", staff.csrf if staff else "")
    context.setdefault("shop_name", request.app.state.runtime.settings.shop_name)
    context.setdefault("section", "")
    settings = request.app.state.runtime.settings
    language = context.get("lang") or staff_language(request)
    context.setdefault("lang", language)
    context.setdefault("_", translator(language))
    for key in SHOWN_MESSAGES:  # the services' English refusals and notices, in the page's language
        if isinstance(context.get(key), str) and context[key]:
            context[key] = field_messages.message(context[key], context["_"])
    context.setdefault("language_names", LANGUAGE_NAMES)
    context.setdefault("shop_tz", settings.shop_timezone)
    context.setdefault("shop_language", settings.shop_language)
    if template in PAGE_SCRIPTS:
        context.setdefault("script_texts", page_script_texts(PAGE_SCRIPTS[template], language))
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response
