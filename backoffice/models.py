"""SQLAlchemy 2 models: the backoffice's whole vocabulary in one place.

Personal identifiers (phone, personal ID) are stored twice: encrypted (Fernet)
for display and export, and as a keyed HMAC lookup key for exact search.  The
plain value is never stored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


# Byte-order collation on PostgreSQL so that prefix range scans use the index
# exactly as they do on SQLite (whose default collation is already binary).
SearchText = String(210).with_variant(String(210, collation="C"), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_reference(prefix: str) -> str:
    """An opaque, unguessable public reference such as ``cus_3f9a...``."""
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime}


class Counter(Base):
    """Monotonic counters (customer numbers, receipt numbers) safe under concurrent writers."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Register(Base):
    __tablename__ = "registers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kiosks: Mapped[list[Kiosk]] = relationship(back_populates="register")


class Kiosk(Base):
    """A customer screen paired to one register; authenticates with a device token."""

    __tablename__ = "kiosks"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    token_hint: Mapped[str] = mapped_column(String(12), nullable=False)
    mode: Mapped[str] = mapped_column(String(12), default="connect", nullable=False)  # connect | verify
    verify_group_ids: Mapped[list | None] = mapped_column(JSON, nullable=True)  # None = all groups
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_status: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    register: Mapped[Register] = relationship(back_populates="kiosks")


class ApiKey(Base):
    """A POS integration's key (only its hash is stored)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    key_hint: Mapped[str] = mapped_column(String(12), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class StaffUser(Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)  # cashier | manager
    register_id: Mapped[int | None] = mapped_column(ForeignKey("registers.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # The language of their pages (sv, en, fr); empty: the shop's default (settings.shop_language).
    language: Mapped[str] = mapped_column(String(8), default="", server_default="", nullable=False)


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # hash of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    user: Mapped[StaffUser] = relationship()


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_reference("cus"))
    customer_number: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    first_name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    # lower-cased, accent-kept "first last" and "last first" for prefix search on an index
    search_name: Mapped[str] = mapped_column(SearchText, default="", nullable=False)
    search_last: Mapped[str] = mapped_column(SearchText, default="", nullable=False)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True, index=True)
    phone_lookup: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    # HMAC of the phone's last four digits, for "find by the last four" ("" without a phone, NULL: not yet computed)
    phone_ending_lookup: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    personal_id_lookup: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    personal_id_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    street: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    postal_code: Mapped[str] = mapped_column(String(20), default="", nullable=False, index=True)
    city: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    country: Mapped[str] = mapped_column(String(2), default="", nullable=False)
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_by: Mapped[str] = mapped_column(String(20), default="cashier", nullable=False)
    language: Mapped[str] = mapped_column(String(5), default="", nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # indexed: the venue scanners' offline list checks the latest change cheaply
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    # loaded on access: the kiosk's hot path (identify) never needs them
    labels: Mapped[list[Label]] = relationship(secondary="customer_labels", order_by="Label.name")
    tags: Mapped[list[CustomerTag]] = relationship(cascade="all, delete-orphan")
    # (key, id) so that prefix search and keyset pages both walk one index in order
    __table_args__ = (
        Index("ix_customers_search_name_id", "search_name", "id"),
        Index("ix_customers_search_last_id", "search_last", "id"),
    )

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Label(Base):
    __tablename__ = "labels"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    colour: Mapped[str] = mapped_column(String(7), default="#6b7280", nullable=False)


class CustomerLabel(Base):
    __tablename__ = "customer_labels"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True)


class CustomerTag(Base):
    __tablename__ = "customer_tags"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    __table_args__ = (Index("ix_customer_tags_tag", "tag", "customer_id"),)


class Membership(Base):
    """A paid or granted membership (e.g. Friend, Patron) with its validity dates."""

    __tablename__ = "memberships"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    plan: Mapped[str] = mapped_column(String(60), nullable=False)
    starts_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # (customer, plan, dates): group criteria probe one customer's memberships; SQLite's planner, without
    # statistics, would otherwise walk the plan index for every customer
    __table_args__ = (
        Index("ix_memberships_plan_dates", "plan", "starts_on", "ends_on", "customer_id"),
        Index("ix_memberships_customer_plan", "customer_id", "plan", "starts_on", "ends_on"),
    )


class CustomerGroup(Base):
    """A named, coloured group of customers shown in scanners and at the register."""

    __tablename__ = "customer_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    colour: Mapped[str] = mapped_column(String(7), default="#2563eb", nullable=False)
    blink: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    visible_in_scanners: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    priority: Mapped[int] = mapped_column(Integer, default=0, nullable=False, index=True)
    criteria: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    member_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class GroupMember(Base):
    """Materialised membership: criteria matches (``manual`` false) and hand-added customers."""

    __tablename__ = "group_members"
    group_id: Mapped[int] = mapped_column(ForeignKey("customer_groups.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    manual: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=False)
    __table_args__ = (Index("ix_group_members_customer", "customer_id", "group_id"),)


class CardBatch(Base):
    __tablename__ = "card_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    name: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    digital: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IdCard(Base):
    """A customer card (plastic or digital) carrying a code; linked to at most one customer."""

    __tablename__ = "id_cards"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("card_batches.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    linked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    customer: Mapped[Customer | None] = relationship()


class Sale(Base):
    __tablename__ = "sales"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_reference("sale"))
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="open", nullable=False)  # open | closed
    receipt_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    external_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    connected_via: Mapped[str | None] = mapped_column(String(20), nullable=True)
    connected_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), default="SEK", nullable=False)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    lines: Mapped[list[SaleLine]] = relationship(cascade="all, delete-orphan", order_by="SaleLine.position")
    register: Mapped[Register] = relationship()
    customer: Mapped[Customer | None] = relationship()
    __table_args__ = (Index("ix_sales_register_status", "register_id", "status"),)


class SaleLine(Base):
    __tablename__ = "sale_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    product: Mapped[str] = mapped_column(String(120), nullable=False)
    brand: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    variant: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 3), default=1, nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0, nullable=False)


class PendingRegistration(Base):
    """A customer asked to become a member at the kiosk or on their phone; the cashier decides."""

    __tablename__ = "pending_registrations"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_reference("reg"))
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id", ondelete="CASCADE"), index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id", ondelete="SET NULL"), nullable=True)
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id", ondelete="SET NULL"), nullable=True)
    source: Mapped[str] = mapped_column(String(10), nullable=False)  # enter | scan | mobile
    status: Mapped[str] = mapped_column(String(12), default="pending", nullable=False, index=True)
    payload_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(nullable=False, index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), nullable=True)


class MobileSession(Base):
    """A Via-mobile visit: single-use token in the QR URL, followed by the kiosk."""

    __tablename__ = "mobile_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_reference("mob"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id", ondelete="CASCADE"), index=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id", ondelete="CASCADE"))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="waiting", nullable=False)
    language: Mapped[str] = mapped_column(String(5), default="sv", nullable=False)
    browser_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(nullable=False, index=True)
    opened_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), nullable=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("pending_registrations.id", ondelete="SET NULL"), nullable=True
    )


class ConsentRecord(Base):
    __tablename__ = "consent_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False)  # marketing_email, marketing_sms, ...
    channel: Mapped[str] = mapped_column(String(20), nullable=False)  # kiosk | mobile | cashier | import
    wording_version: Mapped[str] = mapped_column(String(40), nullable=False)
    source: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    given_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class AuditEvent(Base):
    """Who saw or changed what (staff access to personal data, kiosk creations)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)  # staff:anna, kiosk:3, api:pos, system
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    detail: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class RegisterEvent(Base):
    """The register's event stream: sale opened/closed, prompts for the cashier, kiosk state.

    Stored so that every server process sees it, a reconnecting console resumes
    from its last event id, and nothing is shown twice.
    """

    __tablename__ = "register_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    data: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    __table_args__ = (Index("ix_register_events_register_id_id", "register_id", "id"),)


class IdempotencyRecord(Base):
    """The stored answer to a request, so that a retry with the same key gets the same answer."""

    __tablename__ = "idempotency_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), nullable=False)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),)


class VerifyScan(Base):
    """One scan at a venue scanner (verify mode) and its answer."""

    __tablename__ = "verify_scans"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id", ondelete="SET NULL"), index=True)
    result: Mapped[str] = mapped_column(String(12), nullable=False)  # success | warning | unknown
    customer_reference: Mapped[str | None] = mapped_column(String(32), nullable=True)
    offline: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # what was held up: customer_number | card | vcard | licence | personal_id | phone | text (see services/verify)
    presented: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # the same customer already passed this door within the re-scan window
    repeat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    __table_args__ = (Index("ix_verify_scans_kiosk_customer_at", "kiosk_id", "customer_reference", "at"),)


class MailMessage(Base):
    """An e-mail queued for sending (card links); delivered to SMTP or a file outbox."""

    __tablename__ = "mail_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="queued", nullable=False)  # queued sending sent failed
    error: Mapped[str] = mapped_column(Text, default="", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class RateLimitHit(Base):
    """Failed identify attempts per kiosk/register, for lockout across server processes."""

    __tablename__ = "rate_limit_hits"
    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(60), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    failed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    __table_args__ = (Index("ix_rate_limit_hits_bucket_at", "bucket", "at"),)


class SaleConnection(Base):
    """A sale's history of customers: every connect, replace, disconnect and refused replace; who, when, how."""

    __tablename__ = "sale_connections"
    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # connected replaced disconnected refused
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), nullable=True)
    previous_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), nullable=True
    )
    via: Mapped[str] = mapped_column(String(20), default="", nullable=False)
    actor: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConnectionPrompt(Base):
    """A match the cashier decides on: replace the sale's customer, an identifier that only partly agreed,
    or a closed sale a kiosk named.  Nothing is connected until a staff member accepts it."""

    __tablename__ = "connection_prompts"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_reference("con"))
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id", ondelete="CASCADE"))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), nullable=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    current_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(20), nullable=False)  # replace | verify | closed_sale
    via: Mapped[str] = mapped_column(String(20), default="", nullable=False)
    presented: Mapped[str] = mapped_column(String(20), default="", nullable=False)  # enter, phone_form, vcard...
    evidence: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {"agreed": [...], "differed": [...]}
    mobile_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("mobile_sessions.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(10), default="pending", nullable=False)  # accepted refused expired
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    __table_args__ = (Index("ix_connection_prompts_register_status", "register_id", "status"),)

class PairingCode(Base):
    """A short-lived, single-use code the back office shows (QR and text) to pair a kiosk by camera.

    Only its SHA-256 is stored; the kiosk trades the code for a new device token once
    (``POST /api/v1/kiosk/pair``), which creates the kiosk.
    """

    __tablename__ = "pairing_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id", ondelete="CASCADE"), index=True)
    kiosk_name: Mapped[str] = mapped_column(String(80), nullable=False)
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    used_from: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id", ondelete="SET NULL"), nullable=True)
    register: Mapped[Register] = relationship()
    kiosk: Mapped[Kiosk | None] = relationship()
    # ids are never reused (the audit log names codes by id, and spent codes are deleted)
    __table_args__ = {"sqlite_autoincrement": True}


class LoginFailure(Base):
    """Failed staff sign-ins per typed username and per client address (both hashed), for a growing lockout.

    One row a bucket, counted in the database so that every server process sees
    it; see services/login_lockout.py.
    """

    __tablename__ = "login_failures"
    bucket: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_failed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(nullable=True)
