"""Back office: staff accounts and roles, and the outgoing mail with its delivery state."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ..auth import runtime
from ..dependencies import unit_of_work
from ..domain_errors import DomainError, NotFound
from ..errors import http_status
from ..params import RowId, row_id
from ..runtime import Runtime
from ..services import devices, mail
from ..services import staff as staff_service
from .i18n import for_request, languages, tr
from .render import page
from .staff_auth import Staff, current_manager

router = APIRouter(include_in_schema=False)


def _staff_page(request: Request, rt: Runtime, *, status: int = 200, **context) -> Response:
    with rt.read_sessions() as db:
        users = staff_service.list_users(db)
        registers = {r.id: r.name for r in devices.list_registers(db)}
    context.setdefault("values", {})
    context.setdefault("message", "")
    return page(request, "admin/staff.html", status=status, section="staff", users=users, registers=registers,
                notice=request.query_params.get("notice", ""), **context)


@router.get("/admin/staff")
def staff_list(request: Request, staff: Staff = Depends(current_manager), rt: Runtime = Depends(runtime)):
    return _staff_page(request, rt)


@router.post("/admin/staff")
def create_staff(
    request: Request,
    username: Annotated[str, Form(max_length=80)] = "",
    display_name: Annotated[str, Form(max_length=120)] = "",
    role: Annotated[str, Form(max_length=20)] = "cashier",
    register_id: Annotated[str, Form(alias="register", max_length=12)] = "",
    password: Annotated[str, Form(max_length=400)] = "",
    staff: Staff = Depends(current_manager),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    try:
        target = devices.find_register(db, row_id(register_id))
        user = devices.create_staff(db, username, password, role, display_name=display_name.strip(),
                                    register=target)
    except DomainError as exc:
        db.rollback()
        values = {"username": username, "display_name": display_name, "role": role, "register": register_id}
        return _staff_page(request, rt, status=http_status(exc), values=values, message=exc.message)
    text = tr(request, "{name} can now sign in.", name=user.username)
    return RedirectResponse(f"/admin/staff?notice={quote_plus(text)}", status_code=303)


@router.get("/admin/staff/{user_id}")
def staff_member(user_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                 rt: Runtime = Depends(runtime)) -> Response:
    with rt.read_sessions() as db:
        user = staff_service.get_user(db, user_id)
        registers = devices.list_registers(db)
    return page(request, "admin/staff_member.html", section="staff", user=user, registers=registers,
                notice=request.query_params.get("notice", ""), message="", languages=languages())


def _member_error(request: Request, rt: Runtime, user_id: int, exc: DomainError) -> Response:
    with rt.read_sessions() as db:
        user = staff_service.get_user(db, user_id)
        registers = devices.list_registers(db)
    return page(request, "admin/staff_member.html", status=http_status(exc), section="staff", user=user,
                registers=registers, notice="", message=exc.message, languages=languages())


@router.post("/admin/staff/{user_id}")
def update_staff(
    user_id: RowId,
    request: Request,
    role: Annotated[str, Form(max_length=20)] = "cashier",
    register_id: Annotated[str, Form(alias="register", max_length=12)] = "",
    display_name: Annotated[str, Form(max_length=120)] = "",
    language: Annotated[str | None, Form(max_length=8)] = None,
    staff: Staff = Depends(current_manager),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    user = staff_service.get_user(db, user_id)
    try:
        staff_service.update_user(db, user, role=role, register_id=row_id(register_id),
                                  display_name=display_name, actor_id=staff.principal.id, actor=staff.actor)
        if language is not None and language != user.language:
            staff_service.set_language(db, user, language, actor=staff.actor)
    except DomainError as exc:
        db.rollback()
        return _member_error(request, rt, user_id, exc)
    text = tr(request, "Saved.")
    return RedirectResponse(f"/admin/staff/{user_id}?notice={quote_plus(text)}", status_code=303)


@router.post("/admin/staff/{user_id}/password")
def reset_password(
    user_id: RowId,
    request: Request,
    password: Annotated[str, Form(max_length=400)] = "",
    staff: Staff = Depends(current_manager),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    user = staff_service.get_user(db, user_id)
    try:
        staff_service.set_password(db, user, password, actor=staff.actor)
    except DomainError as exc:
        db.rollback()
        return _member_error(request, rt, user_id, exc)
    text = tr(request, "Password set; their sessions were signed out.")
    return RedirectResponse(f"/admin/staff/{user_id}?notice={quote_plus(text)}", status_code=303)


@router.post("/admin/staff/{user_id}/{action}")
def enable_or_disable(
    user_id: RowId, action: str, request: Request, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
    rt: Runtime = Depends(runtime)
) -> Response:
    if action not in ("disable", "enable"):
        raise NotFound("not_found", "There is nothing here.")
    user = staff_service.get_user(db, user_id)
    try:
        staff_service.set_disabled(db, user, action == "disable", actor_id=staff.principal.id, actor=staff.actor)
    except DomainError as exc:
        db.rollback()
        return _member_error(request, rt, user_id, exc)
    _ = for_request(request)
    text = _("Account disabled.") if action == "disable" else _("Account enabled.")
    return RedirectResponse(f"/admin/staff/{user_id}?notice={quote_plus(text)}", status_code=303)


@router.get("/admin/mail")
def mail_page(request: Request, staff: Staff = Depends(current_manager), rt: Runtime = Depends(runtime)) -> Response:
    with rt.read_sessions() as db:
        messages = mail.recent(db)
    _ = for_request(request)
    target = _("SMTP server {host}", host=rt.settings.smtp_url.split("@")[-1]) if rt.settings.smtp_url else \
        _("file outbox {path}", path=rt.settings.mail_outbox_dir)
    return page(request, "admin/mail.html", section="mail", messages=messages, target=target,
                notice=request.query_params.get("notice", ""))


@router.post("/admin/mail/{message_id}/retry")
def retry_mail(
    message_id: RowId, request: Request, background: BackgroundTasks, staff: Staff = Depends(current_manager),
    db: Session = unit_of_work, rt: Runtime = Depends(runtime),
) -> Response:
    mail.retry(db, mail.get_message(db, message_id), actor=staff.actor)
    background.add_task(mail.deliver_due, rt.sessions, rt.settings)
    text = tr(request, "Sending again.")
    return RedirectResponse(f"/admin/mail?notice={quote_plus(text)}", status_code=303)
