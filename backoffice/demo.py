"""Demo data: a register with a paired kiosk, a door with a venue scanner, staff logins, groups, cards and customers.

Deterministic (fixed seed) so the README and the demo video can name them:
customer 100001 is Anna Andersson, whose card DEMO-00000001 the demo camera
shows; card DEMO-00000002 is not linked to anybody.  Anna is a Friend (an
active Friend membership) and a VIP (added by hand), so the door scanner
"Entré", which verifies Friends, answers Success for her card.

Groups, plans, tags and products are named in the shop's language
(``shop_language``): a Swedish shop gets "Vänner", "Vän", "stamkund"; other
languages get the English names.  Sales are dated so that a higher receipt
number is always a later sale (newest first is true in every list).
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
FRIEND_PLAN = "Friend"
TAGS = {"vip": "vip", "access": "access", "staff": "staff", "newsletter": "newsletter", "friend": "friend",
        "student": "student", "regular": "regular"}
CARD_BATCH_NAME = "Demo plastic cards"
# The Swedish names of all of the above (a Swedish shop's demo), by their English name.
SWEDISH = {
    "Friends": "Vänner", "Access needs": "Behöver hjälp", "Staff": "Personal", "VIP": "VIP",
    "Members of the Friends scheme: 10% off in the café": "Medlemmar i Vänprogrammet: 10 % rabatt i kaféet",
    "Offer a free programme and a seat reservation": "Erbjud ett gratis program och en platsreservation",
    "Offer help with doors, seating and the lift": "Erbjud hjälp med dörrar, sittplats och hiss",
    "Staff discount; not shown in scanners": "Personalrabatt; visas inte i skannrar",
    "Friend": "Vän", "access": "tillgänglighet", "staff": "personal", "newsletter": "nyhetsbrev", "friend": "vän",
    "regular": "stamkund", "Demo plastic cards": "Demokort i plast", "Large": "Stor", "Medium": "Mellan",
    "Tote bag": "Tygkasse", "Natural": "Natur",
}


@dataclass(frozen=True)
class DemoNames:
    """What the demo calls its groups, plan, tags, card batch and products, in one language."""

    groups: tuple
    plan: str
    tags: dict
    card_batch: str
    products: tuple


def demo_names(language: str) -> DemoNames:
    """The demo's names in the shop's language: Swedish for a Swedish shop, else English."""
    name = (lambda text: SWEDISH.get(text, text)) if language == "sv" else (lambda text: text)
    plan = name(FRIEND_PLAN)
    tags = {key: name(value) for key, value in TAGS.items()}

    def criteria(rules: dict) -> dict:
        out = []
        for rule in rules["rules"]:
            rule = dict(rule)
            if "plan" in rule:
                rule["plan"] = plan
            if rule.get("field") == "tag":
                rule["value"] = tags[rule["value"]]
            out.append(rule)
        return {**rules, "rules": out}

    groups = tuple((name(g), colour, blink, visible, name(text), criteria(rules))
                   for g, colour, blink, visible, text, rules in GROUPS)
    products = tuple((name(product), brand, name(variant), price) for product, brand, variant, price in PRODUCTS)
    return DemoNames(groups, plan, tags, name(CARD_BATCH_NAME), products)


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


def _ensure_groups(db: Session, names: DemoNames) -> list[CustomerGroup]:
    """The demo groups; one without criteria (from an older demo) gets them, and is evaluated."""
    groups = []
    for priority, (name, colour, blink, visible, description, criteria) in enumerate(names.groups):
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


def _customer_fields(rng: random.Random, index: int, today: dt.date, names: DemoNames) -> dict:
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
        "tags": [names.tags[t] for t in rng.sample(["newsletter", "friend", "student", "regular"], k=rng.randrange(0, 3))],
    }
    if index % 7 == 3:
        fields.pop("personal_id")
    return fields


def seed_demo(db: Session, vault: Vault, *, customers: int = 300, settings: Settings) -> DemoResult:
    """Create what the demo needs; running it again adds nothing twice."""
    register, _, token = _ensure_register_and_kiosk(db, settings.data_dir)
    _ensure_staff(db, register)
    api_key = _ensure_api_key(db, settings.data_dir)
    names = demo_names(settings.shop_language)
    groups = _ensure_groups(db, names)
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
        fields = clean_fields(_customer_fields(rng, index, today, names))
        if index and any(vault.lookup("phone", fields["phone"]) == c.phone_lookup for c in created[-50:]):
            fields.pop("phone")
        customer = create_customer(db, vault, fields, created_by="import", actor="seed-demo")
        created.append(customer)
        if rng.random() < 0.4:
            consent.give(db, customer, purpose="marketing", channel="import", source="seed-demo")
    _seed_groups_and_memberships(db, rng, created, groups, today, names)
    _seed_cards(db, created, names)
    _seed_sales(db, rng, register, created, names)
    result.customers_created = len(created)
    return result


def _seed_groups_and_memberships(db, rng, created, groups, today, names: DemoNames) -> None:
    """Friend memberships and vip/access/staff tags, which the groups' criteria pick up; Anna is a VIP by hand."""
    vip = groups[1]
    for index, customer in enumerate(created):
        tags = []
        if index == 0 or rng.random() < 0.3:
            db.add(Membership(customer_id=customer.id, plan=names.plan, starts_on=today - dt.timedelta(days=200),
                              ends_on=today + dt.timedelta(days=165)))
        if index == 0 or rng.random() < 0.05:
            if index == 0:
                db.add(GroupMember(group_id=vip.id, customer_id=customer.id, manual=True))
            else:
                tags.append(names.tags["vip"])
        if rng.random() < 0.04:
            tags.append(names.tags["access"])
        if rng.random() < 0.03:
            tags.append(names.tags["staff"])
        customer.tags.extend(CustomerTag(tag=tag) for tag in tags)
    db.flush()
    for group in groups:
        group_members.refresh_group(db, group)


def _seed_cards(db: Session, created: list[Customer], names: DemoNames) -> None:
    batch = CardBatch(prefix="DEMO", size=20, name=names.card_batch)
    db.add(batch)
    db.flush()
    for number in range(1, 21):
        card = IdCard(code=f"DEMO-{number:08d}", batch_id=batch.id)
        # card 1 is Anna's; 11-20 belong to the next customers, as far as a small demo has them
        owner = created[0] if number == 1 else created[number] if 10 < number < len(created) else None
        if owner is not None:
            card.customer_id = owner.id
            card.linked_at = dt.datetime.now(dt.UTC)
        db.add(card)
    db.flush()


def _seed_sales(db: Session, rng: random.Random, register: Register, created: list[Customer],
                names: DemoNames, count: int = 60) -> None:
    """A year of sales; each later receipt is a later sale, so every "newest first" list is in date order."""
    now = dt.datetime.now(dt.UTC)
    # seconds back from now, oldest first, at least an hour apart: receipt n+1 is always after receipt n
    ages = sorted({rng.randrange(3600, 365 * 86400) // 3600 * 3600 for _ in range(count * 2)}, reverse=True)[:count]
    for index, age in enumerate(ages):
        customer = created[0] if index >= len(ages) - 4 else rng.choice(created)  # Anna's are the latest four
        items = [dict(zip(("product", "brand", "variant", "unit_price"), rng.choice(names.products), strict=True))
                 for _ in range(rng.randrange(1, 4))]
        sale = sales.open_sale(db, register, lines=[{**item, "quantity": Decimal(1)} for item in items])
        sales.connect_customer(db, sale, customer, via="cashier")
        sales.close_sale(db, sale)
        sale.opened_at = now - dt.timedelta(seconds=age)
        sale.closed_at = sale.opened_at + dt.timedelta(minutes=rng.randrange(1, 6))
    db.flush()
