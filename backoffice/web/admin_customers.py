"""Back office: the customer list (search, sort, keyset pages), create, edit, delete, table mode, detail, CSV export."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..auth import runtime
from ..dependencies import unit_of_work
from ..domain_errors import DomainError, Invalid
from ..errors import http_status
from ..runtime import Runtime
from ..services import audit, consent, customer_list, customer_records, customers, export, memberships, privacy
from ..services.groups import groups_of
from . import fields as field_messages
from .i18n import for_request, staff_language
from .render import page
from .staff_auth import Staff, current_manager

router = APIRouter(include_in_schema=False)

FORM_FIELDS = ("first_name", "last_name", "phone", "email", "personal_id", "street", "postal_code", "city", "country",
               "notes", "labels")
TABLE_FIELDS = ("first_name", "last_name", "phone", "email", "personal_id")
TABLE_ROWS = 10
HISTORY_LIMIT = 50
AUDIT_LIMIT = 100


def _field_errors(request: Request, exc: DomainError) -> dict[str, str]:
    return field_messages.field_errors(exc, for_request(request))


def _summary(request: Request, exc: DomainError) -> str:
    return field_messages.summary(exc, for_request(request))


def _form_data(form, *, editing: bool) -> dict:
    """The customer fields a form sent; when editing, blank phone/personal ID keep the stored value."""
    data = {name: str(form.get(name, ""))[:4000] for name in FORM_FIELDS if name in form}
    if editing:
        for name in ("phone", "personal_id"):
            if not data.get(name, "").strip():
                data.pop(name, None)
            if form.get(f"clear_{name}"):
                data[name] = ""
    if "labels" in data:
        data["labels"] = [part for part in data["labels"].split(",") if part.strip()]
    return data


@router.get("/admin")
def admin_home(staff: Staff = Depends(current_manager)) -> Response:
    return RedirectResponse("/admin/customers", status_code=303)


@router.get("/admin/customers")
def customer_list_page(
    request: Request,
    q: str = Query("", max_length=100),
    sort: str = Query(customer_list.DEFAULT_SORT, max_length=20),
    after: str | None = Query(None, max_length=400),
    before: str | None = Query(None, max_length=400),
    staff: Staff = Depends(current_manager),
    rt: Runtime = Depends(runtime),
) -> Response:
    with rt.read_sessions() as db:
        result = customer_list.list_page(db, rt.vault, q=q, sort=sort, after=after, before=before)
        rows = [customers.staff_view(c, rt.vault) for c in result.customers]
        total = customer_list.approximate_total(db)
    if q:
        customers.audit_identifier_search(rt.sessions, staff.actor, q, result.customers)
    return page(request, "admin/customers.html", section="customers", rows=rows, result=result, q=q,
                sort=sort if sort in customer_list.SORTS else customer_list.DEFAULT_SORT, sorts=customer_list.SORTS,
                total=total)


@router.get("/admin/customers/export.csv")
def export_customers(
    request: Request, marketing: bool = False, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
    rt: Runtime = Depends(runtime)
) -> Response:
    """The customer list as CSV, streamed; only customers who consented to marketing when asked."""
    audit.record(db, staff.actor, "customers_exported", marketing_only=marketing)
    name = f"customers{'-marketing' if marketing else ''}-{dt.date.today():%Y%m%d}.csv"
    return StreamingResponse(
        export.csv_chunks(rt.read_sessions, rt.vault, marketing_only=marketing, language=staff_language(request),
                          _=for_request(request), region=rt.settings.default_region, timezone=rt.settings.shop_timezone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/admin/customers/new")
def new_customer_form(request: Request, staff: Staff = Depends(current_manager), rt: Runtime = Depends(runtime)):
    with rt.read_sessions() as db:
        labels = customer_records.label_names(db)
    return page(request, "admin/customer_form.html", section="customers", customer=None, values={}, errors={},
                labels=labels)


@router.post("/admin/customers/new")
async def create_customer(request: Request, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
                          rt: Runtime = Depends(runtime)):
    form = await request.form()
    data = _form_data(form, editing=False)
    marketing = bool(form.get("marketing_consent"))

    def work():
        try:
            fields = customers.clean_fields(data, region=rt.settings.default_region)
            customer = customers.create_customer(db, rt.vault, fields, created_by="admin", actor=staff.actor)
            if marketing:
                consent.give(db, customer, purpose="marketing", channel="back_office", source=staff.actor)
        except DomainError as exc:
            db.rollback()
            return None, exc, customer_records.label_names(db)
        return customer.reference, None, []

    reference, error, labels = await run_in_threadpool(work)
    if error is not None:
        values = {**{k: str(form.get(k, "")) for k in FORM_FIELDS}, "marketing_consent": marketing}
        return page(request, "admin/customer_form.html", status=http_status(error), section="customers", customer=None,
                    values=values, errors=_field_errors(request, error), message=_summary(request, error),
                    labels=labels)
    customer_list.count_cache.forget()
    return RedirectResponse(f"/admin/customers/{reference}?created=1", status_code=303)


@router.get("/admin/customers/table")
def table_mode(request: Request, staff: Staff = Depends(current_manager)):
    rows = [{"values": {}, "errors": {}} for _ in range(TABLE_ROWS)]
    return page(request, "admin/customer_table.html", section="customers", rows=rows, fields=TABLE_FIELDS, created=[])


@router.post("/admin/customers/table")
async def table_mode_save(request: Request, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
                          rt: Runtime = Depends(runtime)):
    """Create every filled-in row; rows with mistakes stay on the page with their messages."""
    form = await request.form()
    submitted = []
    for index in range(TABLE_ROWS):
        values = {name: str(form.get(f"rows-{index}-{name}", ""))[:300] for name in TABLE_FIELDS}
        values["marketing_consent"] = bool(form.get(f"rows-{index}-marketing_consent"))
        if any(str(v).strip() for k, v in values.items() if k != "marketing_consent"):
            submitted.append(values)

    def work():
        created, failed = [], []
        for values in submitted:
            data = {k: v for k, v in values.items() if k != "marketing_consent"}
            try:
                with db.begin_nested():
                    fields = customers.clean_fields(data, region=rt.settings.default_region)
                    customer = customers.create_customer(db, rt.vault, fields, created_by="admin",
                                                         actor=staff.actor)
                    if values["marketing_consent"]:
                        consent.give(db, customer, purpose="marketing", channel="back_office", source=staff.actor)
                created.append(customers.staff_view(customer, rt.vault))
            except DomainError as exc:
                failed.append({"values": values,
                               "errors": _field_errors(request, exc) or {"first_name": _summary(request, exc)}})
        return created, failed

    created, failed = await run_in_threadpool(work)
    if created:
        customer_list.count_cache.forget()
    rows = failed + [{"values": {}, "errors": {}} for _ in range(TABLE_ROWS - len(failed))]
    status = 422 if failed else 200
    return page(request, "admin/customer_table.html", status=status, section="customers", rows=rows,
                fields=TABLE_FIELDS, created=created, failed=len(failed))


def _detail(db, rt: Runtime, reference: str) -> dict:
    customer = customers.get_by_reference(db, reference)
    view = customers.staff_view(customer, rt.vault)
    view["groups"] = groups_of(db, customer.id, scanner_only=False)
    return {
        **customer_records.groups_and_memberships(db, customer.id),
        **customer_records.records_of(db, customer.id, sales=HISTORY_LIMIT, audit_events=AUDIT_LIMIT),
        "customer": view,
        "customer_row": customer,
        "consents": consent.records_of(db, customer.id),
        "marketing": consent.active(db, customer.id, "marketing") is not None,
    }


@router.get("/admin/customers/{reference}")
def customer_detail(
    reference: str, request: Request, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
    rt: Runtime = Depends(runtime)
) -> Response:
    customer = customers.get_by_reference(db, reference)
    # Seeing someone's details is itself on their audit trail.
    audit.record(db, staff.actor, "customer_viewed", customer.id, page="detail")
    context = _detail(db, rt, reference)
    return page(request, "admin/customer_detail.html", section="customers", **context)


@router.post("/admin/customers/{reference}/reveal")
def reveal_identifiers(
    reference: str, request: Request, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
    rt: Runtime = Depends(runtime)
) -> Response:
    """The detail page with phone and personal ID in full (checking a person's identity); audited."""
    customer = customers.get_by_reference(db, reference)
    audit.record(db, staff.actor, "identifiers_unmasked", customer.id, page="detail")
    context = _detail(db, rt, reference)
    context["customer"].update(customers.full_identifiers(customer, rt.vault))
    return page(request, "admin/customer_detail.html", section="customers", revealed=True, **context)


@router.get("/admin/customers/{reference}/export.json")
def export_customer(reference: str, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
                    rt: Runtime = Depends(runtime)) -> Response:
    """Everything stored about the customer as a JSON download (GDPR access request); audited."""
    customer = customers.get_by_reference(db, reference)
    data = privacy.export_customer(db, rt.vault, customer, actor=staff.actor)
    number = customer.customer_number
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body, media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="customer-{number}-{dt.date.today():%Y%m%d}.json"',
                 "Cache-Control": "no-store"},
    )


@router.get("/admin/customers/{reference}/edit")
def edit_customer_form(
    reference: str, request: Request, staff: Staff = Depends(current_manager), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.read_sessions() as db:
        customer = customers.staff_view(customers.get_by_reference(db, reference), rt.vault)
        marketing = consent.active(db, customers.get_by_reference(db, reference).id, "marketing") is not None
        labels = customer_records.label_names(db)
    values = {k: customer.get(k, "") for k in FORM_FIELDS if k not in ("phone", "personal_id")}
    values["labels"] = ", ".join(customer["labels"])
    values["marketing_consent"] = marketing
    return page(request, "admin/customer_form.html", section="customers", customer=customer, values=values,
                errors={}, labels=labels)


@router.post("/admin/customers/{reference}/edit")
async def edit_customer(
    reference: str, request: Request, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
    rt: Runtime = Depends(runtime)
) -> Response:
    form = await request.form()
    data = _form_data(form, editing=True)
    marketing = bool(form.get("marketing_consent"))

    def work():
        customer = customers.get_by_reference(db, reference)
        try:
            fields = customers.clean_fields(data, region=rt.settings.default_region, partial=True)
            if not (fields.get("first_name", customer.first_name) or fields.get("last_name", customer.last_name)):
                raise Invalid("invalid_fields", "Enter at least a first or last name.",
                               fields=[{"field": "first_name", "code": "name_required",
                                        "message": "Enter at least a first or last name."}])
            customers.update_customer(db, rt.vault, customer, fields, actor=staff.actor)
            if marketing:
                consent.give(db, customer, purpose="marketing", channel="back_office", source=staff.actor)
            else:
                consent.withdraw(db, customer, purpose="marketing", source=staff.actor)
        except DomainError as exc:
            db.rollback()
            return None, exc, customers.staff_view(customer, rt.vault), customer_records.label_names(db)
        return customer.reference, None, None, None

    done, error, view, labels = await run_in_threadpool(work)
    if error is not None:
        values = {**{k: str(form.get(k, "")) for k in FORM_FIELDS if k not in ("phone", "personal_id")},
                  "marketing_consent": marketing}
        return page(request, "admin/customer_form.html", status=http_status(error), section="customers", customer=view,
                    values=values, errors=_field_errors(request, error), message=_summary(request, error),
                    labels=labels)
    return RedirectResponse(f"/admin/customers/{done}?saved=1", status_code=303)


@router.get("/admin/customers/{reference}/delete")
def delete_confirm(
    reference: str, request: Request, staff: Staff = Depends(current_manager), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.read_sessions() as db:
        customer = customers.staff_view(customers.get_by_reference(db, reference), rt.vault)
    return page(request, "admin/customer_delete.html", section="customers", customer=customer)


@router.post("/admin/customers/{reference}/delete")
def delete_customer(
    reference: str, staff: Staff = Depends(current_manager), db: Session = unit_of_work, rt: Runtime = Depends(runtime)
) -> Response:
    customer = customers.get_by_reference(db, reference)
    number = customer.customer_number
    privacy.erase_customer(db, rt.vault, customer, actor=staff.actor)
    customer_list.count_cache.forget()
    return RedirectResponse(f"/admin/customers?deleted={number}", status_code=303)


@router.post("/admin/customers/{reference}/consent")
async def change_consent(
    reference: str, request: Request, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
    rt: Runtime = Depends(runtime)
) -> Response:
    give = (await request.form()).get("action") == "give"

    def work():
        customer = customers.get_by_reference(db, reference)
        if give:
            consent.give(db, customer, purpose="marketing", channel="back_office", source=staff.actor)
        else:
            consent.withdraw(db, customer, purpose="marketing", source=staff.actor)

    await run_in_threadpool(work)
    return RedirectResponse(f"/admin/customers/{reference}#consents", status_code=303)


@router.post("/admin/customers/{reference}/memberships")
async def add_membership(
    reference: str, request: Request, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
    rt: Runtime = Depends(runtime)
) -> Response:
    """Record a membership (plan, start, optional end); the customer's groups follow at once."""
    form = await request.form()

    def work():
        customer = customers.get_by_reference(db, reference)
        try:
            starts = dt.date.fromisoformat(str(form.get("starts_on", "")).strip())
            ends_text = str(form.get("ends_on", "")).strip()
            ends = dt.date.fromisoformat(ends_text) if ends_text else None
        except ValueError:
            return "Use dates such as 2026-01-31."
        try:
            memberships.add_membership(db, customer, plan=str(form.get("plan", ""))[:200], starts_on=starts,
                                       ends_on=ends, actor=staff.actor)
        except DomainError as exc:
            db.rollback()
            return exc.message
        return None

    problem = await run_in_threadpool(work)
    query = f"?membership_error={quote(problem)}" if problem else "?membership_added=1"
    return RedirectResponse(f"/admin/customers/{reference}{query}#memberships", status_code=303)


@router.post("/admin/customers/{reference}/memberships/{membership_id}/remove")
def remove_membership(
    reference: str, membership_id: int, staff: Staff = Depends(current_manager), db: Session = unit_of_work,
    rt: Runtime = Depends(runtime)
) -> Response:
    customer = customers.get_by_reference(db, reference)
    memberships.remove_membership(db, customer, membership_id, actor=staff.actor)
    return RedirectResponse(f"/admin/customers/{reference}#memberships", status_code=303)
