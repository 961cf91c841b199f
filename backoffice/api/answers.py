"""What the JSON API answers, as pydantic models: every route declares one, so /openapi.json describes every answer.

The kiosk's routes answer the shared models of ``counter_core.kiosk_api`` (the
kiosk's client validates into the same ones).  The staff and POS answers are
declared here from the services' views.  Answers may grow: a model keeps any
field it does not declare (``extra="allow"``), so declaring one never drops a
field an integration already reads; tests/backoffice/test_openapi.py checks
that every field a real answer has is declared.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from counter_core import kiosk_api


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


# ------------------------------------------------------------------ the kiosk's answers (shared with the kiosk)


class RegisterStateAnswer(kiosk_api.RegisterState):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class IdentifyAnswer(kiosk_api.IdentifyAnswer):
    model_config = ConfigDict(extra="allow")


class KioskRegistrationAnswer(kiosk_api.RegistrationView):
    model_config = ConfigDict(extra="allow")


class MobileSessionAnswer(kiosk_api.MobileSessionView):
    model_config = ConfigDict(extra="allow")


class VerifyAnswer(kiosk_api.VerifyAnswer):
    model_config = ConfigDict(extra="allow")


class VerifyLogAnswer(kiosk_api.VerifyLogAnswer):
    model_config = ConfigDict(extra="allow")


# ------------------------------------------------------------------ customers


class CustomerRef(Answer):
    reference: str
    customer_number: int
    name: str | None = None


class CustomerGroupRef(Answer):
    id: int
    name: str
    colour: str
    blink: bool = False


class ConsentView(Answer):
    purpose: str
    channel: str
    wording_version: str | int | None = None
    source: str
    given_at: str
    withdrawn_at: str | None = None


class CustomerView(Answer):
    """A customer as staff and POS integrations see them: phone and personal ID masked."""

    reference: str
    customer_number: int
    first_name: str
    last_name: str
    email: str
    phone: str = Field(description="Masked: country code and the last two digits")
    personal_id: str = Field(description="Masked: the birth date only")
    birth_date: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    labels: list[str] = []
    tags: list[str] = []
    notes: str | None = None
    created_by: str
    created_at: str
    groups: list[CustomerGroupRef] = []
    consents: list[ConsentView] | None = Field(None, description="On GET of one customer")


class CustomerList(Answer):
    customers: list[CustomerView]


class ErasedCustomer(Answer):
    """What erasing removed and what it kept (counts)."""

    erased: bool
    sales_kept: int
    phone_visits_removed: int
    registrations_removed: int
    mail_removed: int
    stored_answers_removed: int
    cards_unlinked: int
    register_events_cleared: int
    audit_entries_kept: int


class CustomerExport(Answer):
    """Everything stored about a customer (GDPR access request), identifiers unmasked."""

    format: str
    exported_at: str
    exported_by: str
    identity: dict[str, Any]
    address: dict[str, Any]
    labels: list[str]
    tags: list[str]
    cards: list[dict[str, Any]]
    consents: list[ConsentView]
    memberships: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    sales: list[dict[str, Any]]
    registrations: list[dict[str, Any]]
    mail: list[dict[str, Any]]
    audit_trail: list[dict[str, Any]]


class MembershipView(Answer):
    id: int
    plan: str
    starts_on: str
    ends_on: str | None = None
    active: bool


class MembershipList(Answer):
    memberships: list[MembershipView]


# ------------------------------------------------------------------ sales


class SaleLineView(Answer):
    product: str
    brand: str
    variant: str
    quantity: str
    unit_price: str


class SaleView(Answer):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    reference: str
    register_name: str = Field(alias="register", description="The register's name")
    status: str
    receipt_number: str | int | None = None
    external_ref: str | None = None
    total: str
    currency: str
    opened_at: str
    closed_at: str | None = None
    customer: CustomerRef | None = None
    connected_via: str | None = None
    lines: list[SaleLineView] = []


class SaleList(Answer):
    sales: list[SaleView]


class ConnectionEntry(Answer):
    action: str
    customer: str
    previous: str
    via: str | None = None
    actor: str
    at: str


class ConnectionHistory(Answer):
    connections: list[ConnectionEntry]


# ------------------------------------------------------------------ groups


class GroupView(Answer):
    id: int
    name: str
    description: str
    colour: str
    blink: bool
    visible_in_scanners: bool
    priority: int
    criteria: dict[str, Any] | None = None
    criteria_text: str | None = None
    member_count: int | None = None
    refreshed_at: str | None = None


class GroupList(Answer):
    groups: list[GroupView]


class CriteriaFields(Answer):
    fields: dict[str, Any] = Field(description="Each field: its operators and the value each takes")


class PreviewSample(Answer):
    reference: str
    customer_number: int
    name: str


class GroupPreview(Answer):
    count: int
    sample: list[PreviewSample]


class GroupMemberView(Answer):
    reference: str
    customer_number: int
    first_name: str
    last_name: str
    manual: bool
    by_criteria: bool


class GroupMembers(Answer):
    members: list[GroupMemberView]
    next: str | None = Field(None, description="Pass as after= for the next page; null on the last")


# ------------------------------------------------------------------ registrations (the cashier's side)


class RegistrationView(Answer):
    reference: str
    status: str
    source: str
    name: str
    fields: dict[str, Any]
    marketing_consent: bool
    needs_completion: bool
    created_at: str
    expires_at: str
    customer: CustomerView | None = Field(None, description="After confirm or complete: the customer")


class RegistrationList(Answer):
    registrations: list[RegistrationView]


# ------------------------------------------------------------------ registers, kiosks, audit


class RegisterView(Answer):
    id: int
    name: str
    open_sale: str | None = None


class RegisterList(Answer):
    registers: list[RegisterView]


class KioskView(Answer):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    id: int
    name: str
    register_name: str = Field(alias="register", description="The register's name")
    token_hint: str | None = None
    mode: str
    verify_group_ids: list[int] | None = None
    revoked: bool
    last_seen_at: str | None = None
    last_status: dict[str, Any] | None = None
    locked_until: str | None = Field(None, description="In the kiosk list: until when it is locked out, if it is")
    token: str | None = Field(None, description="Only when the kiosk is paired: its device token, shown once")


class KioskList(Answer):
    kiosks: list[KioskView]


class LockoutLifted(Answer):
    kiosk: int
    was_locked: bool


class AuditEventView(Answer):
    id: int
    at: str
    actor: str
    action: str
    customer: CustomerRef | None = None
    detail: dict[str, Any] = {}


class AuditPage(Answer):
    events: list[AuditEventView]
    next_before: int | None = Field(None, description="Pass as before= for the next page; null on the last")


# ------------------------------------------------------------------ the cashier console


class ConsoleOutcome(Answer):
    """What a scan, a create or a card link at the register did: ``outcome`` says which, the rest depends on it."""

    outcome: str = Field(description="connected, no_open_sale, prompted, create, search, link_card, card_linked")
    message: str | None = None
    customer: dict[str, Any] | None = None
    created: CustomerView | None = Field(None, description="A customer created at the register")
    prompt: str | None = Field(None, description="prompted: the connection prompt the cashier decides on")
    card: str | None = Field(None, description="link_card, card_linked: the card's code")
    query: str | None = Field(None, description="search: what to search for")
    prefill: dict[str, Any] | None = Field(None, description="create: the form's fields as scanned")
    kind: str | None = Field(None, description="create: what was scanned (vcard, aamva...)")


class PromptView(Answer):
    """A connection prompt as the cashier sees it."""

    reference: str
    reason: str
    status: str
    presented: str | None = None
    via: str | None = None
    customer: dict[str, Any] | None = None
    current: dict[str, Any] | None = None
    sale: dict[str, Any] | None = None
    outcome: str | None = Field(None, description="After accept: what was done")


class Health(Answer):
    status: str
