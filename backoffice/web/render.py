"""Rendering staff pages: the shared context (shop, who is signed in, CSRF token) and display filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import segno
from fastapi import Request
from fastapi.responses import HTMLResponse

from .templates import templates


def _local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the server's local time zone (the shop's clock)."""
    if value is None:
        return ""
    return value.astimezone().strftime(fmt)


def _when(value: dt.datetime | None) -> str:
    """The time alone when it is today, else the date and time."""
    if value is None:
        return ""
    local = value.astimezone()
    return local.strftime("%H:%M") if local.date() == dt.datetime.now().astimezone().date() else local.strftime(
        "%Y-%m-%d %H:%M"
    )


def qr(text: str) -> str:
    """An inline SVG QR code that scales with its box (a viewBox, no fixed size)."""
    return segno.make(text, error="m").svg_inline(scale=1, border=2, dark="#0f172a", omitsize=True)


def _money(value: Decimal | int | float | None, currency: str = "SEK") -> str:
    if value is None:
        return ""
    amount = f"{Decimal(value):,.2f}".replace(",", "\u202f")
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
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response
