"""Demo data: a register with a paired kiosk, a door with a venue scanner, staff logins, groups, cards and customers.

Deterministic (fixed seed) so the README and the demo video can name them:
customer 100001 is Anna Andersson, whose card DEMO-00000001 the demo camera
shows; card DEMO-00000002 is not linked to anybody.  Anna is a Friend (an
active Friend membership) and a VIP (added by hand), so the door scanner
"Entré", which verifies Friends, answers Success for her card.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import (
    CardBatch,
    Customer,
    CustomerGroup,
    CustomerTag,
    GroupMember,
    IdCard,
    Kiosk,
    Membership,
    Register,
    StaffUser,
)
from .security import Vault
from .services import consent, devices, group_members, sales, verify
from .services.customers import clean_fields, create_customer
from .settings import Settings

DEMO_REGISTER = "Kassa 1"
DEMO_KIOSK = "Kiosk vid Kassa 1"
DOOR_REGISTER = "Dörren"
DOOR_KIOSK = "Entré"
DOOR_TOKEN_FILE = "demo-door.token"
DEMO_STAFF = (("manager", "manager-demo", "manager", "Maja Manager"), ("cashier", "cashier-demo", "cashier", "Kalle Kassör"))
DEMO_CARD_LINKED = "DEMO-00000001"
DEMO_CARD_UNLINKED = "DEMO-00000002"
TOKEN_FILE = "demo-kiosk.token"
API_KEY_FILE = "demo-pos.key"

FIRST_NAMES = (
    "Anna Erik Maria Lars Karin Johan Elin Anders Sara Per Emma Nils Ida Oskar Linnea Karl Maja Gustav Ebba Axel "
    "Alice Hugo Wilma Liam Astrid Elias Saga Noah Freja Olle Agnes Viktor Ingrid Sven Klara Mohammed Fatima Ali Leyla Amir"
).split()
LAST_NAMES = (
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson Pettersson Jonsson "
    "Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Lindström Olofsson Lindqvist Lindgren Berg "
    "Axelsson Bergström Lundberg Lind Lundgren Lundqvist Mattsson Berglund Fredriksson Sandberg Henriksson Öberg Åberg"
).split()
CITIES = (("Stockholm", "11"), ("Göteborg", "41"), ("Malmö", "21"), ("Uppsala", "75"), ("Lund", "22"), ("Umeå", "90"))
STREETS = "Storgatan Drottninggatan Kungsgatan Vasagatan Sveavägen Linnégatan Järntorget Södra vägen".split()
PRODUCTS = (
    ("Cappuccino", "Linnea Rosteri", "Large", "42.00"),
    ("Latte", "Linnea Rosteri", "Medium", "39.00"),
    ("Kanelbulle", "Bageriet", "", "32.00"),
    ("Croissant", "Bageriet", "", "29.00"),
    ("Merino T-shirt", "Fjällräven", "M", "499.00"),
    ("Merino T-shirt", "Fjällräven", "L", "499.00"),
    ("Sneakers", "Vagabond", "EU 41", "1199.00"),
    ("Tote bag", "Linnea", "Natural", "149.00"),
)
GROUPS = (
    # name, colour, blink, visible in scanners, description, criteria (besides customers added by hand)
    ("Friends", "#15803d", False, True, "Members of the Friends scheme: 10% off in the café",
     {"match": "all", "rules": [{"field": "membership", "op": "active", "plan": "Friend"}]}),
    ("VIP", "#b45309", True, True, "Offer a free programme and a seat reservation",
     {"match": "any", "rules": [{"field": "tag", "op": "has", "value": "vip"}]}),
    ("Access needs", "#0369a1", False, True, "Offer help with doors, seating and the lift",
     {"match": "any", "rules": [{"field": "tag", "op": "has", "value": "access"}]}),
    ("Staff", "#7c3aed", False, False, "Staff discount; not shown in scanners",
     {"match": "any", "rules": [{"field": "tag", "op": "has", "value": "staff"}]}),
)


@dataclass
class DemoResult:
    register: str
    kiosk_token: str | None
    api_key: str | None
    customers_created: int
    notes: list[str] = field(default_factory=list)
    door_token: str | None = None

    def summary(self) -> str:
        lines = [f"Demo register: {self.register}", f"Customers created: {self.customers_created}"]
        lines += [f"Staff login: {u} / {p} ({r})" for u, p, r, _ in DEMO_STAFF]
        if self.kiosk_token:
            lines.append(f"Demo kiosk token: {self.kiosk_token}")
        if self.door_token:
            lines.append(f"Demo door scanner token ({DOOR_KIOSK} at {DOOR_REGISTER}, verify mode, Friends): "
                         f"{self.door_token}")
        if self.api_key:
            lines.append(f"Demo POS API key: {self.api_key}")
        lines += self.notes
        return "\n".join(lines)


def personnummer(rng: random.Random, birth: dt.date) -> str:
    """A valid 12-digit personnummer for a birth date (Luhn over YYMMDDNNN)."""
    serial = f"{rng.randrange(0, 1000):03d}"
    body = birth.strftime("%y%m%d") + serial
    total = 0
    for index, char in enumerate(body):
        n = int(char) * (2 if index % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return birth.strftime("%Y") + body[2:] + str((10 - total % 10) % 10)


def _write_secret_file(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")


def _ensure_register_and_kiosk(
    db: Session, data_dir: Path, register_name: str = DEMO_REGISTER, kiosk_name: str = DEMO_KIOSK,
    token_file: str = TOKEN_FILE,
) -> tuple[Register, Kiosk | None, str]:
    """The register and its paired kiosk; the kiosk is returned only when it was paired now."""
    register = db.execute(select(Register).where(Register.name == register_name)).scalar_one_or_none()
    if register is None:
        register = devices.create_register(db, register_name)
    token_path = data_dir / token_file
    kiosk = db.execute(select(Kiosk).where(Kiosk.register_id == register.id, Kiosk.revoked_at.is_(None))).scalars().first()
    if kiosk is not None and token_path.exists():
        return register, None, token_path.read_text().strip()
    if kiosk is not None:
        devices.revoke_kiosk(db, kiosk, actor="seed-demo")  # its token is lost; pair afresh
    kiosk, token = devices.pair_kiosk(db, register, kiosk_name, actor="seed-demo")
    _write_secret_file(token_path, token)
    return register, kiosk, token


def _ensure_door(db: Session, data_dir: Path, friends: CustomerGroup) -> str:
    """The venue scanner at the door: verify mode, checking Friends (set when it is paired, then left alone)."""
    _, kiosk, token = _ensure_register_and_kiosk(db, data_dir, DOOR_REGISTER, DOOR_KIOSK, DOOR_TOKEN_FILE)
    if kiosk is not None:
        verify.configure_kiosk(db, kiosk, mode="verify", group_ids=[friends.id], actor="seed-demo")
    return token


def _ensure_staff(db: Session, register: Register) -> None:
    for username, password, role, name in DEMO_STAFF:
        if db.execute(select(StaffUser.id).where(StaffUser.username == username)).first() is None:
            # The demo's passwords are printed for anyone to use: the strength policy is for real accounts.
            devices.create_staff(db, username, password, role, display_name=name, register=register,
                                 check_strength=False)


def _ensure_api_key(db: Session, data_dir: Path) -> str:
    path = data_dir / API_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    _, token = devices.create_api_key(db, "Demo POS", actor="seed-demo")
    _write_secret_file(path, token)
    return token


def _ensure_groups(db: Session) -> list[CustomerGroup]:
    """The demo groups; one without criteria (from an older demo) gets them, and is evaluated."""
    groups = []
    for priority, (name, colour, blink, visible, description, criteria) in enumerate(GROUPS):
        group = db.execute(select(CustomerGroup).where(CustomerGroup.name == name)).scalar_one_or_none()
        if group is None:
            group = CustomerGroup(
                name=name, colour=colour, blink=blink, visible_in_scanners=visible, description=description, priority=priority
            )
            db.add(group)
        if not group.criteria:
            group.criteria = criteria
            db.flush()
            group_members.refresh_group(db, group)
        groups.append(group)
    db.flush()
    return groups


def _customer_fields(rng: random.Random, index: int, today: dt.date) -> dict:
    if index == 0:
        first, last, birth = "Anna", "Andersson", dt.date(1985, 4, 12)
    else:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        birth = today - dt.timedelta(days=rng.randrange(16 * 365, 85 * 365))
    city, postal_prefix = rng.choice(CITIES)
    fields = {
        "first_name": first,
        "last_name": last,
        "phone": "+46701234567" if index == 0 else f"+467{rng.choice('0236')}{rng.randrange(0, 10**7):07d}",
        "email": f"{first}.{last}{index}@example.se".lower().replace("å", "a").replace("ä", "a").replace("ö", "o"),
        "personal_id": personnummer(rng, birth),
        "street": f"{rng.choice(STREETS)} {rng.randrange(1, 80)}",
        "postal_code": f"{postal_prefix}{rng.randrange(100, 999)}",
        "city": city,
        "country": "SE",
        "tags": rng.sample(["newsletter", "friend", "student", "regular"], k=rng.randrange(0, 3)),
    }
    if index % 7 == 3:
        fields.pop("personal_id")
    return fields


def seed_demo(db: Session, vault: Vault, *, customers: int = 300, settings: Settings) -> DemoResult:
    """Create what the demo needs; running it again adds nothing twice."""
    register, _, token = _ensure_register_and_kiosk(db, settings.data_dir)
    _ensure_staff(db, register)
    api_key = _ensure_api_key(db, settings.data_dir)
    groups = _ensure_groups(db)
    door_token = _ensure_door(db, settings.data_dir, groups[0])
    existing = db.execute(select(func.count(Customer.id))).scalar_one()
    result = DemoResult(register.name, token, api_key, 0, door_token=door_token)
    if existing:
        result.notes.append(f"{existing} customers already present; none added.")
        return result
    rng = random.Random(20261124)
    today = dt.date.today()
    created: list[Customer] = []
    for index in range(customers):
        fields = clean_fields(_customer_fields(rng, index, today))
        if index and any(vault.lookup("phone", fields["phone"]) == c.phone_lookup for c in created[-50:]):
            fields.pop("phone")
        customer = create_customer(db, vault, fields, created_by="import", actor="seed-demo")
        created.append(customer)
        if rng.random() < 0.4:
            consent.give(db, customer, purpose="marketing", channel="import", source="seed-demo")
    _seed_groups_and_memberships(db, rng, created, groups, today)
    _seed_cards(db, created)
    _seed_sales(db, rng, register, created)
    result.customers_created = len(created)
    return result


def _seed_groups_and_memberships(db, rng, created, groups, today) -> None:
    """Friend memberships and vip/access/staff tags, which the groups' criteria pick up; Anna is a VIP by hand."""
    vip = groups[1]
    for index, customer in enumerate(created):
        tags = []
        if index == 0 or rng.random() < 0.3:
            db.add(Membership(customer_id=customer.id, plan="Friend", starts_on=today - dt.timedelta(days=200),
                              ends_on=today + dt.timedelta(days=165)))
        if index == 0 or rng.random() < 0.05:
            if index == 0:
                db.add(GroupMember(group_id=vip.id, customer_id=customer.id, manual=True))
            else:
                tags.append("vip")
        if rng.random() < 0.04:
            tags.append("access")
        if rng.random() < 0.03:
            tags.append("staff")
        customer.tags.extend(CustomerTag(tag=tag) for tag in tags)
    db.flush()
    for group in groups:
        group_members.refresh_group(db, group)


def _seed_cards(db: Session, created: list[Customer]) -> None:
    batch = CardBatch(prefix="DEMO", size=20, name="Demo plastic cards")
    db.add(batch)
    db.flush()
    for number in range(1, 21):
        card = IdCard(code=f"DEMO-{number:08d}", batch_id=batch.id)
        if number == 1 or number > 10:
            owner = created[0] if number == 1 else created[number]
            card.customer_id = owner.id
            card.linked_at = dt.datetime.now(dt.UTC)
        db.add(card)
    db.flush()


def _seed_sales(db: Session, rng: random.Random, register: Register, created: list[Customer]) -> None:
    for index in range(60):
        customer = created[0] if index < 4 else rng.choice(created)
        items = [dict(zip(("product", "brand", "variant", "unit_price"), rng.choice(PRODUCTS), strict=True))
                 for _ in range(rng.randrange(1, 4))]
        sale = sales.open_sale(db, register, lines=[{**item, "quantity": Decimal(1)} for item in items])
        sales.connect_customer(db, sale, customer, via="cashier")
        sales.close_sale(db, sale)
        sale.opened_at = sale.closed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=rng.randrange(1, 365))
    db.flush()
