"""A Swedish shop's staff pages are Swedish: every page, every text the code can show, no English left.

Two checks that fail on different mistakes:
- the catalogue: every text gathered from the templates, the pages' Python, the page scripts and the
  services' refusals (``backoffice.web.messages``) has a Swedish (and a French) translation;
- the pages: every staff page route is rendered for a signed-in manager of a shop whose language is
  Swedish, and its visible text (and placeholders, titles, labels) holds none of the English words a
  forgotten ``_()`` would leave.  A new page route fails the test until it is walked here.
"""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from backoffice.models import ConnectionPrompt, Customer, IdCard, Kiosk, StaffUser
from backoffice.services import cards
from backoffice.web import messages
from backoffice.web.routes import router as page_router
from tests.support.api import Api
from tests.support.database import fresh_database
from tests.support.server import start_in_thread
from tests.support.staff import sign_in

# Words of English UI text that Swedish never uses: a page showing one of them has text left untranslated.
ENGLISH = re.compile(
    r"\b(the|and|with|of|to|is|are|yet|no longer|not|or|Save|Cancel|Search|Create|Remove|Delete|Edit|Sign|"
    r"Open|Close|Print|Back|Next|Previous|Add|Show|Never|Find|Enter|Phone|Name|Card|Cards|Group|Groups|"
    r"Sale|Sales|Staff|Mail|Audit|Log|Password|Customer|Customers|Register|Registers|Connect|Track|Link|"
    r"Kiosks|Scan|Scanned|Today|When|Who|What|Why|Members|Yes|Unknown|Page|found|customer|customers|"
    r"sale|card|cards|group|groups|here|there|this|that|by|from|at|on|first|last|newest|oldest|new|only|"
    r"more|days|none|ago|expires|since)\b"
)
# Pages that are not staff pages, or not HTML: with the reason they are left out of the walk.
NOT_WALKED = {
    "/m/{token}": "the customer's phone form (tests/backoffice/test_mobile_form.py, already in three languages)",
    "/c/{code}": "the customer's card page on their phone",
    "/": "a redirect to the console",
    "/admin": "a redirect to the customer list",
    "/console/{register_id}/events": "the console's event stream (JSON)",
    "/admin/customers/export.csv": "a file (tests/backoffice/test_csv_export_for_excel.py)",
    "/admin/customers/{reference}/export.json": "a file of the customer's data",
    "/admin/devices/pairing/{pairing_id}": "the pairing page's JSON poll",
}


class VisibleText(HTMLParser):
    """The text a person reads: data outside script/style, and the attributes a screen or reader shows."""

    SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "label")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in self.SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def english_left(html: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Each line of visible text with an English word in it (data the test created is passed in ``allowed``)."""
    lines = []
    for line in visible_text(html).splitlines():
        cleaned = line
        for value in allowed:
            cleaned = cleaned.replace(value, "")
        if ENGLISH.search(cleaned):
            lines.append(line)
    return lines


def _customer_id(db, view: dict) -> int:
    return db.execute(select(Customer.id).where(Customer.reference == view["reference"])).scalar_one()


def page_routes() -> set[str]:
    def walk(routes):
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            elif "GET" in (getattr(route, "methods", None) or ()):
                yield route.path

    return set(walk(page_router.routes))


@pytest.mark.parametrize("language", ["sv", "fr"])
def test_every_text_a_staff_page_can_show_has_a_translation(language):
    assert messages.missing(language) == []


def test_the_gathering_finds_texts_of_every_source():
    """The check above is only as good as what it gathers: each source gives texts."""
    assert "Create customer" in messages.template_messages()
    assert "Card linked." in messages.python_messages()
    assert "Open sale and connect" in messages.script_messages("console.js")
    assert "Enter at least a first or last name." in messages.refusal_messages()
    assert "customer viewed" in messages.audit_actions()
    assert "Page not found" in messages.error_page_messages()


def test_the_english_detector_catches_a_forgotten_text():
    assert english_left("<p>Sök kunden</p><button>Save</button>") == ["Save"]
    assert english_left('<input placeholder="Search or scan a card">') == ["Search or scan a card"]
    assert english_left("<script>const a = 'the';</script><p>Spara</p>") == []


@pytest.fixture(scope="module")
def swedish_shop(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("swedish-shop")
    with fresh_database(data_dir) as url:
        server = start_in_thread(data_dir, url, shop_language="sv")
        yield server
        server.stop()


@pytest.fixture(scope="module")
def walk(swedish_shop):
    """A shop with one of everything, a manager signed in, and the concrete address of every staff page."""
    shop = swedish_shop
    username, password = shop.staff("manager")
    manager = sign_in(shop.base_url, username, password)
    register, kiosk_token = shop.register_with_kiosk(f"Kassa {uuid.uuid4().hex[:4]}")
    pos = Api(shop.base_url, shop.api_key())
    customer = pos.post("/api/v1/customers", {"first_name": "Sara", "last_name": "Nyberg", "phone": "+46701234567",
                                              "email": "sara@exempel.se", "labels": ["stamkund"]}).json()
    group = manager.post_form("/admin/groups/new", {"name": "Stamkunder", "colour": "#15803d", "action": "save",
                                                    "visible_in_scanners": "1",
                                                    "criteria": '{"match": "all", "rules": [{"field": "label", '
                                                                '"op": "has", "value": "stamkund"}]}'})
    assert group.status_code == 200, group.text
    group_id = re.search(r"/admin/groups/(\d+)", group.url).group(1)
    batch = manager.post_form("/admin/cards/batches", {"prefix": "MEDLEM", "size": "3", "name": "Plastkort"})
    batch_id = re.search(r"/admin/cards/batches/(\d+)", batch.url).group(1)
    sale = pos.post("/api/v1/sales", {"register": register}).json()
    lines = pos.post(f"/api/v1/sales/{sale['reference']}/lines",
                     [{"product": "Kaffe", "brand": "Zoégas", "quantity": 2, "unit_price": "32.00"}])
    assert lines.status_code == 200, lines.text
    pos.put(f"/api/v1/sales/{sale['reference']}/customer", {"customer": customer["reference"]})
    with shop.runtime.sessions() as db:
        code = db.execute(select(IdCard.code).where(IdCard.batch_id == int(batch_id))).scalars().first()
        kiosk_id = db.execute(select(Kiosk.id).order_by(Kiosk.id.desc())).scalars().first()
        user_id = db.execute(select(StaffUser.id).where(StaffUser.username == username)).scalar_one()
        register_id = db.execute(select(Kiosk.register_id).where(Kiosk.id == kiosk_id)).scalar_one()
    manager.post_form(f"/admin/cards/code/{code}/email", {"email": "sara@exempel.se"})
    # a second customer's card at the kiosk during Sara's sale: a "replace?" prompt; a stranger's vCard: a registration
    elsa = pos.post("/api/v1/customers", {"first_name": "Elsa", "last_name": "Ek", "phone": "+46702345678"}).json()
    with shop.runtime.sessions() as db:
        second = db.execute(select(IdCard).where(IdCard.batch_id == int(batch_id), IdCard.code != code)).scalars().first()
        cards.link(db, second, db.get(Customer, _customer_id(db, elsa)),
                   actor="test")
        second_code = second.code
        db.commit()
    kiosk = Api(shop.base_url, kiosk_token)
    kiosk.post("/api/v1/identify", {"method": "scan", "kind": "card_code", "card_code": second_code},
               headers={"Idempotency-Key": uuid.uuid4().hex})
    stranger = kiosk.post("/api/v1/identify", {"method": "scan", "kind": "vcard", "first_name": "Nils",
                                                "last_name": "Ny", "phone": "+46703456789"},
                          headers={"Idempotency-Key": uuid.uuid4().hex}).json()
    with shop.runtime.read_sessions() as db:
        prompt = db.execute(select(ConnectionPrompt.reference).order_by(ConnectionPrompt.id.desc())).scalars().first()
    assert prompt, "the second card made no prompt"
    addresses = {
        "/login": None, "/account/password": "/account/password", "/console": "/console?choose=1",
        "/console/{register_id}": f"/console/{register_id}", "/console/{register_id}/panel": f"/console/{register_id}/panel",
        "/console/{register_id}/search": f"/console/{register_id}/search?q=Nyberg",
        "/console/{register_id}/prompts/{reference}": f"/console/{register_id}/prompts/{prompt}",
        "/console/{register_id}/prompts/registrations/{reference}":
            f"/console/{register_id}/prompts/registrations/{stranger['registration']['reference']}",
        "/admin/customers": "/admin/customers", "/admin/customers/new": "/admin/customers/new",
        "/admin/customers/table": "/admin/customers/table",
        "/admin/customers/{reference}": f"/admin/customers/{customer['reference']}",
        "/admin/customers/{reference}/edit": f"/admin/customers/{customer['reference']}/edit",
        "/admin/customers/{reference}/delete": f"/admin/customers/{customer['reference']}/delete",
        "/admin/groups": "/admin/groups", "/admin/groups/new": "/admin/groups/new",
        "/admin/groups/{group_id}": f"/admin/groups/{group_id}",
        "/admin/groups/{group_id}/edit": f"/admin/groups/{group_id}/edit",
        "/admin/groups/{group_id}/delete": f"/admin/groups/{group_id}/delete",
        "/admin/sales": "/admin/sales", "/admin/sales/{reference}": f"/admin/sales/{sale['reference']}",
        "/admin/cards": "/admin/cards", "/admin/cards/batches/{batch_id}": f"/admin/cards/batches/{batch_id}",
        "/admin/cards/batches/{batch_id}/print": f"/admin/cards/batches/{batch_id}/print",
        "/admin/cards/code/{code}": f"/admin/cards/code/{code}",
        "/admin/devices": "/admin/devices", "/admin/devices/kiosks/{kiosk_id}/mode": f"/admin/devices/kiosks/{kiosk_id}/mode",
        "/admin/scans": "/admin/scans", "/admin/staff": "/admin/staff", "/admin/staff/{user_id}": f"/admin/staff/{user_id}",
        "/admin/mail": "/admin/mail", "/admin/audit": "/admin/audit",
        "/console/{register_id}/replace/{customer}": f"/console/{register_id}/replace/{elsa['reference']}",
    }
    # what the test itself put in the shop (names, codes, products) and what is the same in both languages
    data = (register, username, code, "MEDLEM", "Plastkort", "Sara", "Nyberg", "sara@exempel.se", "Stamkunder",
            "stamkund", "Kaffe", "Zoégas", "Elsa", "Ek", "Nils", "Ny", second_code, f"Kiosk {register}",
            customer["reference"], sale["reference"],
            shop.settings.shop_name, "Svenska", "English", "Français", "staff:", str(shop.settings.mail_outbox_dir),
            "api")  # "api": who created a customer (an origin code, as the audit log records it)
    return {"shop": shop, "manager": manager, "addresses": addresses, "data": data, "kiosk_token": kiosk_token,
            "customer": customer, "register": register}


def test_every_staff_page_route_is_walked(walk):
    assert page_routes() - set(NOT_WALKED) == set(walk["addresses"]), "add the new page to the walk"


def test_every_staff_page_is_swedish(walk):
    manager, shop = walk["manager"], walk["shop"]
    problems = {}
    for route, address in sorted(walk["addresses"].items()):
        if address is None:
            continue
        response = manager.get(address)
        assert response.status_code == 200, (address, response.status_code, visible_text(response.text)[:300])
        assert '<html lang="sv">' in response.text or "{register_id}/" in route  # fragments of the console
        left = english_left(response.text, walk["data"])
        if left:
            problems[address] = left
    signed_out = Api(shop.base_url).get("/login")
    if english_left(signed_out.text, walk["data"]):
        problems["/login"] = english_left(signed_out.text, walk["data"])
    assert problems == {}, "\n".join(f"{page}: {lines}" for page, lines in problems.items())


def test_refusals_and_error_pages_are_swedish_and_name_fields_as_people_do(walk):
    manager = walk["manager"]
    missing = manager.get("/admin/customers/cus_doesnotexist0000000")
    assert missing.status_code == 404 and "Okänd kund" in missing.text
    assert english_left(missing.text, walk["data"]) == []
    form = manager.post_form("/admin/customers/new", {"first_name": "", "last_name": "", "phone": "12"})
    assert form.status_code == 422
    assert "Förnamn: ange ett förnamn eller efternamn" in form.text and "first_name:" not in form.text
    assert re.search(r'id="first_name"[^>]*aria-invalid="true"', form.text)
    assert re.search(r'id="phone"[^>]*aria-invalid="true"[^>]*aria-describedby="phone-error"', form.text)
    duplicate = manager.post_form("/admin/customers/new", {"first_name": "Elsa", "phone": "070-123 45 67"})
    assert duplicate.status_code == 409
    assert "Mobilnummer: en annan kund har redan det här telefonnumret" in duplicate.text
    assert re.search(r'id="phone"[^>]*aria-invalid="true"', duplicate.text)
    assert '<p class="field-error" id="phone-error">En annan kund har redan det här telefonnumret.</p>' in duplicate.text


def test_a_staff_member_picks_their_own_language_over_the_shops(walk):
    shop = walk["shop"]
    username, password = shop.staff("cashier")
    cashier = sign_in(shop.base_url, username, password)
    assert "Byt ditt lösenord" in cashier.get("/account/password").text
    chosen = cashier.post_form("/account/language", {"language": "en"})
    assert chosen.status_code == 200 and "Change your password" in chosen.text
    assert '<html lang="en">' in cashier.get("/console?choose=1").text
    back = cashier.post_form("/account/language", {"language": ""})
    assert "Språk på dina sidor" in back.text
    refused = cashier.post_form("/account/language", {"language": "xx"})
    assert refused.status_code == 422 and "Välj ett av språken i listan." in refused.text
