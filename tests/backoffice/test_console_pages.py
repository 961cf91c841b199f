"""The cashier console over HTTP: the page, the event stream, scans at the till, create, link, track."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from backoffice.models import AuditEvent, IdCard
from backoffice.services import cards, customers
from tests.support.api import error_code
from tests.support.staff import new_staff, register_id

AAMVA = (
    "@\n\x1e\rANSI 636000100102DL00410278ZV03190008DLDAQT64235789\nDCSSAMPLE\nDACMICHAEL\nDBB06061986\n"
    "DAG2300 WEST BROAD STREET\nDAIRICHMOND\nDAJVA\nDAK232690000\nDCGUSA\n"
)


@pytest.fixture
def cashier(backoffice):
    return new_staff(backoffice, "cashier")


@pytest.fixture
def rid(backoffice, till) -> int:
    return register_id(backoffice, till.name)


def _new_card(backoffice, customer_reference: str | None = None) -> str:
    with backoffice.runtime.sessions() as db:
        batch = cards.create_batch(db, "T" + uuid.uuid4().hex[:5].upper(), 1)
        card = db.execute(select(IdCard).where(IdCard.batch_id == batch.id)).scalar_one()
        if customer_reference:
            cards.link(db, card, customers.get_by_reference(db, customer_reference), actor="test")
        db.commit()
        return card.code


def _read_events(response, count: int) -> list[tuple[int, dict]]:
    """The first ``count`` events of a text/event-stream response, as (id, payload)."""
    out, event_id = [], None
    for raw in response.iter_lines(decode_unicode=True):
        if raw.startswith("id: "):
            event_id = int(raw[4:])
        elif raw.startswith("data: ") and event_id is not None:
            out.append((event_id, json.loads(raw[6:])))
            event_id = None
            if len(out) == count:
                return out
    return out


def _kiosk_vcard(till, **fields) -> str:
    body = {"method": "scan", "kind": "vcard", "first_name": "Vera", "last_name": "Vcard", **fields}
    answer = till.kiosk.post("/api/v1/identify", body, headers={"Idempotency-Key": str(uuid.uuid4())}).json()
    assert answer["result"] == "pending", answer
    return answer["registration"]["reference"]


def test_console_page_shows_the_pending_registrations_and_streams_from_after_them(backoffice, till, cashier, rid,
                                                                                    new_phone):
    reference = _kiosk_vcard(till, phone=new_phone())
    page = cashier.get(f"/console/{rid}").text
    assert f'data-registration="{reference}"' in page and "wants to become a customer" in page
    assert '<strong class="prompt-name">Vera</strong> <span class="prompt-initial">V.</span>' in page
    assert "+46 ••••" in page  # masked for the cashier
    after = int(page.split('data-after="')[1].split('"')[0])
    with cashier.get(f"/console/{rid}/events?after={after}", stream=True, timeout=10) as stream:
        till.open_sale()
        [(event_id, event)] = _read_events(stream, 1)
    assert event_id > after and event["type"] == "sale_opened"


def test_event_stream_resumes_after_the_last_event_id_without_repeating(backoffice, till, cashier, rid, new_phone):
    with cashier.get(f"/console/{rid}/events?after=0", stream=True, timeout=10) as stream:
        till.open_sale()
        reference = _kiosk_vcard(till, phone=new_phone())
        first = _read_events(stream, 2)
    assert [e["type"] for _, e in first] == ["sale_opened", "registration_created"]
    assert first[1][1]["data"] == {"registration": reference, "name": "Vera Vcard", "source": "scan"}
    seen = first[0][0]
    # The browser reconnects with the same URL and the last id it saw: the header wins over ?after=.
    with cashier.get(f"/console/{rid}/events?after=0", stream=True, timeout=10,
                     headers={"Last-Event-ID": str(seen)}) as stream:
        till.pos.post(f"/api/v1/registrations/{reference}/abort")
        resumed = _read_events(stream, 2)
    assert [(i, e["type"]) for i, e in resumed] == [(first[1][0], "registration_created"),
                                                    (resumed[1][0], "registration_resolved")]
    assert resumed[1][0] > first[1][0]


def test_event_stream_needs_a_staff_session(backoffice, rid):
    import requests

    response = requests.get(f"{backoffice.base_url}/console/{rid}/events", headers={"Accept": "text/event-stream"},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 401


def test_scanning_a_customer_number_connects_the_customer_to_the_open_sale(till, cashier, rid, make_customer):
    customer = make_customer(first_name="Nils")
    sale = till.open_sale()
    outcome = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": f"{customer['customer_number']}\n"}).json()
    assert outcome["outcome"] == "connected" and outcome["customer"]["reference"] == customer["reference"]
    assert till.pos.get(f"/api/v1/sales/{sale['reference']}").json()["connected_via"] == "cashier_scan"


def test_scanning_a_linked_card_connects_its_customer(backoffice, till, cashier, rid, make_customer):
    customer = make_customer(first_name="Kort")
    code = _new_card(backoffice, customer["reference"])
    sale = till.open_sale()
    outcome = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": code.lower()}).json()
    assert outcome["outcome"] == "connected"
    assert till.pos.get(f"/api/v1/sales/{sale['reference']}").json()["customer"]["name"] == "Kort Customer"


def test_a_scan_without_an_open_sale_says_so(till, cashier, rid, make_customer):
    customer = make_customer()
    outcome = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": str(customer["customer_number"])}).json()
    assert outcome["outcome"] == "no_open_sale" and "Open a sale" in outcome["message"]


def test_a_new_card_scanned_during_a_sale_with_a_customer_is_given_to_that_customer(backoffice, till, cashier, rid,
                                                                                    make_customer):
    customer = make_customer(first_name="Lisa")
    code = _new_card(backoffice)
    sale = till.open_sale()
    till.pos.put(f"/api/v1/sales/{sale['reference']}/customer", {"customer": customer["reference"]})
    outcome = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": code}).json()
    assert outcome["outcome"] == "card_linked" and outcome["customer"]["reference"] == customer["reference"]
    with backoffice.runtime.read_sessions() as db:
        assert customers.find_by_identifier(db, backoffice.runtime.vault, "card_code", code).reference == \
            customer["reference"]


def test_an_unlinked_card_without_a_customer_is_linked_to_the_one_the_cashier_picks(backoffice, till, cashier, rid,
                                                                                   make_customer):
    customer = make_customer(first_name="Pia")
    code = _new_card(backoffice)
    sale = till.open_sale()
    outcome = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": code}).json()
    assert outcome == {"outcome": "link_card", "card": code,
                       "message": f"Card {code} is not linked yet. Find the customer and press Link card."}
    linked = cashier.api("POST", f"/api/v1/console/{rid}/cards/{code}/link", {"customer": customer["reference"]})
    assert linked.status_code == 200 and linked.json()["outcome"] == "connected"
    assert till.pos.get(f"/api/v1/sales/{sale['reference']}").json()["customer"]["reference"] == customer["reference"]
    other = make_customer()
    again = cashier.api("POST", f"/api/v1/console/{rid}/cards/{code}/link", {"customer": other["reference"]})
    assert again.status_code == 409 and error_code(again) == "card_already_linked"


def test_a_scanned_vcard_of_a_known_customer_connects_them(till, cashier, rid, make_customer, new_phone):
    # Was: the vCard's phone alone connected, whatever its name ("Other Name"). Now the names must agree too;
    # another name makes a prompt (tests/backoffice/test_connection_rules.py).
    phone = new_phone()
    customer = make_customer(first_name="Olga", last_name="Other", phone=phone)
    till.open_sale()
    vcard = f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Other;Olga\r\nTEL;TYPE=CELL:{phone}\r\nEND:VCARD\r\n"
    outcome = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": vcard}).json()
    assert outcome["outcome"] == "connected" and outcome["customer"]["reference"] == customer["reference"]


def test_a_scanned_vcard_or_licence_of_someone_new_opens_the_create_form_prefilled(till, cashier, rid, new_phone):
    phone = new_phone()
    vcard = f"BEGIN:VCARD\nVERSION:3.0\nN:Holm;Greta\nTEL:{phone}\nEMAIL:greta@example.org\nEND:VCARD"
    outcome = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": vcard}).json()
    assert outcome["outcome"] == "create" and outcome["kind"] == "vcard"
    assert {k: outcome["prefill"][k] for k in ("first_name", "last_name", "phone", "email")} == {
        "first_name": "Greta", "last_name": "Holm", "phone": phone, "email": "greta@example.org"}
    licence = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": AAMVA}).json()
    assert licence["outcome"] == "create"
    assert licence["prefill"]["first_name"] == "Michael" and licence["prefill"]["city"] == "RICHMOND"
    assert licence["prefill"]["birth_date"] == "1986-06-06"


def test_typed_text_that_is_no_code_becomes_a_search(till, cashier, rid, make_customer):
    make_customer(first_name="Sökbar", last_name="Zetterlund")
    outcome = cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": "Zetterl"}).json()
    assert outcome == {"outcome": "search", "query": "Zetterl"}
    results = cashier.get(f"/console/{rid}/search", params={"q": "zetterl"}, headers={"X-Fragment": "1"}).text
    assert "Sökbar Zetterlund" in results and 'data-action="pick"' in results
    none = cashier.get(f"/console/{rid}/search", params={"q": "Qwxyz"}).text
    assert "No customer matches" in none and "Create a customer" in none


def test_a_customer_created_at_the_register_is_connected_with_their_consent(backoffice, till, cashier, rid,
                                                                            new_phone):
    sale = till.open_sale()
    response = cashier.api("POST", f"/api/v1/console/{rid}/customers",
                           {"first_name": "Ny", "last_name": "Kund", "phone": new_phone(), "marketing_consent": True})
    assert response.status_code == 201, response.text
    outcome = response.json()
    assert outcome["outcome"] == "connected" and outcome["created"]["created_by"] == "cashier"
    detail = till.pos.get(f"/api/v1/customers/{outcome['created']['reference']}").json()
    assert [c["purpose"] for c in detail["consents"]] == ["marketing"]
    assert till.pos.get(f"/api/v1/sales/{sale['reference']}").json()["customer"]["name"] == "Ny Kund"
    bad = cashier.api("POST", f"/api/v1/console/{rid}/customers", {"last_name": "", "email": "nope"})
    assert bad.status_code == 422 and {f["field"] for f in bad.json()["error"]["fields"]} == {"email", "first_name"}


def test_the_customer_panel_shows_last_purchases_with_brand_and_size(till, cashier, rid, make_customer):
    customer = make_customer(first_name="Stina")
    earlier = till.open_sale()
    till.pos.post(f"/api/v1/sales/{earlier['reference']}/lines",
                  [{"product": "Trail shoe", "brand": "Salomon", "variant": "EU 39", "unit_price": "1299.00"}])
    till.pos.put(f"/api/v1/sales/{earlier['reference']}/customer", {"customer": customer["reference"]})
    till.pos.post(f"/api/v1/sales/{earlier['reference']}/close")
    now = till.open_sale()
    till.pos.put(f"/api/v1/sales/{now['reference']}/customer", {"customer": customer["reference"]})
    panel = cashier.get(f"/console/{rid}/panel", headers={"X-Fragment": "1"}).text
    assert "Stina Customer" in panel and "Last purchases" in panel
    assert "Trail shoe" in panel and "Salomon" in panel and '<span class="size">EU 39</span>' in panel


def test_a_closed_receipt_without_customer_offers_track_and_tracking_connects_it(till, cashier, rid, make_customer):
    customer = make_customer(first_name="Tracy")
    sale = till.open_sale()
    till.pos.post(f"/api/v1/sales/{sale['reference']}/close")
    panel = cashier.get(f"/console/{rid}/panel").text
    assert 'data-action="track"' in panel and f'data-sale="{sale["reference"]}"' in panel
    tracked = cashier.api("PUT", f"/api/v1/sales/{sale['reference']}/customer", {"customer": customer["reference"]})
    assert tracked.status_code == 200
    panel = cashier.get(f"/console/{rid}/panel").text
    assert 'data-action="track"' not in panel and "Tracy Customer" in panel


def test_console_actions_are_on_the_audit_trail(backoffice, till, cashier, rid, make_customer):
    customer = make_customer()
    till.open_sale()
    cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": str(customer["customer_number"])})
    with backoffice.runtime.read_sessions() as db:
        customer_id = customers.get_by_reference(db, customer["reference"]).id
        actions = db.execute(select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.customer_id == customer_id))
        assert ("customer_connected", f"staff:{cashier_name(backoffice, cashier)}") in set(actions)


def cashier_name(backoffice, client) -> str:
    from backoffice.auth import staff_from_cookie

    return staff_from_cookie(backoffice.runtime, client.http.cookies["bo_session"]).name


def test_the_register_picker_lists_registers_and_unknown_ones_are_a_friendly_404(backoffice, till, cashier):
    page = cashier.get("/console?choose=1").text
    assert till.name in page
    missing = cashier.get("/console/999999")
    assert missing.status_code == 404 and "Unknown register" in missing.text
