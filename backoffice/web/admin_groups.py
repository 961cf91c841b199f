"""Back office: customer groups: list in priority order, create, edit with the criteria editor, preview, reorder,
delete, and customers added or removed by hand."""

from __future__ import annotations

import json
from urllib.parse import quote_plus, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..auth import runtime
from ..dependencies import unit_of_work
from ..domain_errors import DomainError, Invalid, NotFound
from ..errors import http_status
from ..params import RowId, row_id
from ..runtime import Runtime
from ..services import audit, customers, group_members, groups, memberships
from ..services.criteria import CREATED_BY, FIELDS, MAX_DEPTH, VALUE_KINDS, describe, parse_criteria
from . import fields as field_messages
from .admin_cards import _find_customer
from .i18n import N_, Gettext, for_request, tr
from .render import page
from .staff_auth import Staff, current_manager

router = APIRouter(include_in_schema=False)
DEFAULT_COLOUR = "#2563eb"
SAMPLE_SIZE = 10

# The editor's words for fields and operators (the JSON keeps the machine names).
FIELD_LABELS = {
    "tag": N_("Tag"), "label": N_("Label"), "membership": N_("Membership"), "age": N_("Age"), "postcode": N_("Postcode"),
    "created_by": N_("Created by"), "has_email": N_("Has e-mail"), "has_phone": N_("Has phone"), "customer_since": N_("Customer since"),
}
OP_LABELS = {
    "has": N_("has"), "has_not": N_("does not have"), "has_any": N_("has any of"), "has_none": N_("has none of"),
    "active": N_("active today"), "not_active": N_("not active today"), "active_on": N_("active on"), "ever": N_("ever had"),
    "never": N_("never had"), "expires_within": N_("ends within (days)"), "ended_within": N_("ended in the last (days)"),
    "eq": N_("is"), "ne": N_("is not"), "lt": N_("under"), "lte": N_("at most"), "gt": N_("over"), "gte": N_("at least"),
    "between": N_("between"), "equals": N_("is"), "starts_with": N_("starts with"), "in": N_("is one of"), "is": N_("is"),
    "is_not": N_("is not"), "before": N_("before"), "on_or_after": N_("on or after"), "at_least_days": N_("for at least (days)"),
    "within_days": N_("for less than (days)"),
}


def _editor_config(db, _: Gettext) -> dict:
    """What the criteria editor needs: fields, operators, value kinds and suggestions from the data."""
    tags, labels = groups.criteria_vocabulary(db)
    # lists where order matters: the template's tojson sorts object keys
    return {
        "fields": FIELDS, "field_order": list(FIELD_LABELS), "op_order": {f: list(ops) for f, ops in FIELDS.items()},
        "field_labels": {k: _(v) for k, v in FIELD_LABELS.items()},
        "op_labels": {k: _(v) for k, v in OP_LABELS.items()}, "kinds": VALUE_KINDS,
        "max_depth": MAX_DEPTH, "origins": list(CREATED_BY),
        "suggestions": {"tag": tags, "label": labels, "plan": memberships.plan_names(db)},
    }


def _group_view(group, _: Gettext) -> dict:
    """A group as its pages show it: the criteria in the staff member's words."""
    view = groups.group_view(group)
    view["criteria_text"] = describe(parse_criteria(view["criteria"]) if view["criteria"] else None, _)
    return view


def _problems(exc: DomainError, _: Gettext) -> tuple[dict[str, str], dict[str, str]]:
    """(form field -> message, criteria path -> message) from a refusal, in the page's language."""
    fields, criteria = {}, {}
    for problem in exc.extra.get("fields") or []:
        target = criteria if problem["field"].startswith("criteria") else fields
        target.setdefault(problem["field"], field_messages.message(problem["message"], _))
    return fields, criteria


def _form_values(form) -> dict:
    return {
        "name": str(form.get("name", ""))[:200],
        "description": str(form.get("description", ""))[:2000],
        "colour": str(form.get("colour", DEFAULT_COLOUR))[:20],
        "blink": bool(form.get("blink")),
        "visible_in_scanners": bool(form.get("visible_in_scanners")),
        "criteria_json": str(form.get("criteria", ""))[:20000],
    }


def _fields_from(values: dict) -> dict:
    """The group fields a form sent; criteria arrive as the editor's JSON (blank: hand-picked only)."""
    text = values["criteria_json"].strip()
    try:
        criteria = json.loads(text) if text else None
    except ValueError:
        raise Invalid("invalid_group", "The criteria are not valid JSON.",
                       fields=[{"field": "criteria", "code": "malformed_json",
                                "message": "The criteria are not valid JSON."}]) from None
    data = {k: values[k] for k in ("name", "description", "colour", "blink", "visible_in_scanners")}
    return groups.clean_group_fields({**data, "criteria": criteria})


def _form_page(request: Request, rt: Runtime, *, group=None, values: dict, status: int = 200, message: str = "",
               errors: dict | None = None, criteria_errors: dict | None = None, preview: dict | None = None):
    with rt.read_sessions() as db:
        config = _editor_config(db, for_request(request))
    return page(request, "admin/group_form.html", status=status, section="groups", group=group, values=values,
                message=message, errors=errors or {}, criteria_errors=criteria_errors or {}, preview=preview,
                editor_config=config)


def _preview(rt: Runtime, values: dict) -> dict:
    """The preview a form asked for without JavaScript: count and sample, or the criteria's mistakes."""
    fields = _fields_from(values)
    criteria = parse_criteria(fields["criteria"])
    if criteria is None:
        return {"count": None, "sample": []}
    with rt.read_sessions() as db:
        count, sample = group_members.preview(db, criteria, sample=SAMPLE_SIZE)
    return {"count": count, "sample": [f"{r.first_name} {r.last_name}".strip() for r in sample]}


@router.get("/admin/groups")
def group_list(request: Request, staff: Staff = Depends(current_manager), rt: Runtime = Depends(runtime)):
    with rt.read_sessions() as db:
        rows = [_group_view(g, for_request(request)) for g in groups.list_groups(db)]
    return page(request, "admin/groups.html", section="groups", groups=rows,
                notice=request.query_params.get("notice", ""))


@router.get("/admin/groups/new")
def new_group_form(request: Request, staff: Staff = Depends(current_manager), rt: Runtime = Depends(runtime)):
    values = {"name": "", "description": "", "colour": DEFAULT_COLOUR, "blink": False, "visible_in_scanners": True,
              "criteria_json": ""}
    return _form_page(request, rt, values=values)


async def _save(request: Request, db: Session, staff: Staff, rt: Runtime, group_id: int | None) -> Response:
    form = await request.form()
    values = _form_values(form)

    def work():
        if form.get("action") == "preview":  # read only: no write lock while counting
            return _group_or_none(rt, group_id), _preview(rt, values)
        fields = _fields_from(values)
        if group_id is None:
            group = groups.create_group(db, fields)
        else:
            group = groups.update_group(db, groups.get_group(db, group_id), fields)
        return group, None

    try:
        group, preview = await run_in_threadpool(work)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        db.rollback()
        existing = await run_in_threadpool(_group_or_none, rt, group_id)
        errors, criteria_errors = _problems(exc, for_request(request))
        return _form_page(request, rt, group=existing, values=values, status=http_status(exc), message=exc.message,
                          errors=errors, criteria_errors=criteria_errors)
    if preview is not None:
        return _form_page(request, rt, group=group, values=values, preview=preview)
    _ = for_request(request)
    text = _("Group created.") if group_id is None else _("Group saved.")
    return RedirectResponse(f"/admin/groups/{group.id}?notice={quote_plus(text)}", status_code=303)


def _group_or_none(rt: Runtime, group_id: int | None):
    if group_id is None:
        return None
    with rt.read_sessions() as db:
        return groups.get_group(db, group_id)


@router.post("/admin/groups/new")
async def create_group(request: Request, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
                       rt: Runtime = Depends(runtime)):
    return await _save(request, db, staff, rt, None)


@router.get("/admin/groups/{group_id}")
def group_page(
    group_id: RowId,
    request: Request,
    after: str | None = Query(None, max_length=20),
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.read_sessions() as db:
        group = _group_view(groups.get_group(db, group_id), for_request(request))
        picked, _ = group_members.members_page(db, group_id, manual_only=True, limit=200)
        members, next_cursor = group_members.members_page(db, group_id, after=after, limit=50)
    return page(request, "admin/group.html", section="groups", group=group, picked=picked, members=members,
                next_cursor=next_cursor, after=after, notice=request.query_params.get("notice", ""),
                message=request.query_params.get("message", ""))


@router.get("/admin/groups/{group_id}/edit")
def edit_group_form(group_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                    rt: Runtime = Depends(runtime)) -> Response:
    with rt.read_sessions() as db:
        group = groups.get_group(db, group_id)
    values = {"name": group.name, "description": group.description, "colour": group.colour, "blink": group.blink,
              "visible_in_scanners": group.visible_in_scanners,
              "criteria_json": json.dumps(group.criteria, ensure_ascii=False) if group.criteria else ""}
    return _form_page(request, rt, group=group, values=values)


@router.post("/admin/groups/{group_id}/edit")
async def edit_group(group_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                     db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    return await _save(request, db, staff, rt, group_id)


@router.get("/admin/groups/{group_id}/delete")
def delete_confirm(group_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                   rt: Runtime = Depends(runtime)) -> Response:
    with rt.read_sessions() as db:
        group = _group_view(groups.get_group(db, group_id), for_request(request))
    return page(request, "admin/group_delete.html", section="groups", group=group)


@router.post("/admin/groups/{group_id}/delete")
def delete_group(group_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                 db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    group = groups.get_group(db, group_id)
    name = group.name
    try:
        groups.delete_group(db, group)
    except DomainError as exc:
        db.rollback()
        view = _group_view(groups.get_group(db, group_id), for_request(request))
        return page(request, "admin/group_delete.html", status=http_status(exc), section="groups", group=view,
                    message=exc.message)
    text = tr(request, "Group {name} deleted.", name=name)
    return RedirectResponse(f"/admin/groups?notice={quote_plus(text)}", status_code=303)


@router.post("/admin/groups/{group_id}/move")
async def move_group(group_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                     db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    direction = "up" if (await request.form()).get("direction") == "up" else "down"

    def work():
        groups.move_group(db, groups.get_group(db, group_id), direction)

    await run_in_threadpool(work)
    return RedirectResponse(f"/admin/groups#group-{group_id}", status_code=303)


def _back(form, group_id: int) -> str:
    """Where a hand-pick form returns: the customer page it came from, else the group page."""
    target = str(form.get("back", ""))
    return target if target.startswith("/admin/customers/cus_") and "//" not in target else f"/admin/groups/{group_id}"


@router.post("/admin/groups/{group_id}/members")
async def add_by_hand(group_id: RowId, request: Request, staff: Staff = Depends(current_manager),
                      db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    """Add a customer by hand (customer number, e-mail, phone or reference)."""
    form = await request.form()
    who = str(form.get("customer", ""))[:200]
    back = _back(form, group_id)

    def work():
        group = groups.get_group(db, group_id)
        customer = _find_customer(db, rt, who)
        added = group_members.add_by_hand(db, group, customer.id)
        if added:
            audit.record(db, staff.actor, "group_member_added", customer.id, group=group.name)
        name = f"{customer.first_name} {customer.last_name}".strip()
        return f"{name} added to {group.name}." if added else f"{name} was already added by hand."

    try:
        notice = await run_in_threadpool(work)
    except DomainError as exc:
        if exc.code == "group_not_found":
            raise
        db.rollback()
        return RedirectResponse(_with(back, **_message_keys(back, exc.message, error=True)), status_code=303)
    return RedirectResponse(_with(back, **_message_keys(back, notice)), status_code=303)


@router.post("/admin/groups/{group_id}/members/{reference}/remove")
async def remove_by_hand(group_id: RowId, reference: str, request: Request, staff: Staff = Depends(current_manager),
                         db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    back = _back(await request.form(), group_id)

    def work():
        group = groups.get_group(db, group_id)
        customer = customers.get_by_reference(db, reference)
        removed = group_members.remove_by_hand(db, group, customer.id)
        if removed:
            audit.record(db, staff.actor, "group_member_removed", customer.id, group=group.name)
        return f"{customer.first_name} {customer.last_name}".strip(), group.name, removed

    name, group_name, removed = await run_in_threadpool(work)
    notice = f"{name} is no longer in {group_name} by hand." if removed else f"{name} was not added by hand."
    return RedirectResponse(_with(back, **_message_keys(back, notice)), status_code=303)


def _message_keys(back: str, text: str, *, error: bool = False) -> dict:
    """The query keys a page shows a notice or an error under (the customer page has several sections)."""
    on_customer = back.startswith("/admin/customers/")
    key = ("group_message" if error else "group_notice") if on_customer else ("message" if error else "notice")
    return {key: text}


def _with(path: str, **query: str) -> str:
    anchor = "#groups" if path.startswith("/admin/customers/") else ""
    return f"{path}?{urlencode(query)}{anchor}"


@router.post("/admin/customers/{reference}/groups")
async def add_customer_to_group(reference: str, request: Request, staff: Staff = Depends(current_manager),
                                db: Session = unit_of_work, rt: Runtime = Depends(runtime)) -> Response:
    """From the customer's page: add them by hand to the chosen group."""
    group_id = row_id(str((await request.form()).get("group_id", "")))
    back = f"/admin/customers/{reference}"
    if group_id is None:
        return RedirectResponse(_with(back, group_message=tr(request, "Choose a group.")), status_code=303)

    def work():
        group = groups.get_group(db, group_id)
        customer = customers.get_by_reference(db, reference)
        if group_members.add_by_hand(db, group, customer.id):
            audit.record(db, staff.actor, "group_member_added", customer.id, group=group.name)
        return group.name

    name = await run_in_threadpool(work)
    text = tr(request, "Added to {group} by hand.", group=name)
    return RedirectResponse(_with(back, group_notice=text), status_code=303)
