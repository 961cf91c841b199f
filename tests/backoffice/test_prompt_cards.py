"""What a console prompt card says, built by backoffice.services.prompts on a real database (SQLite; PostgreSQL
with TEST_DATABASE_URL): what was presented, masked identifiers, first name only, the kiosk, the shop's clock."""

from __future__ import annotations

import re

import pytest

from backoffice.services import prompts, registrations, sales

CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


@pytest.fixture
def counter(backoffice):
    name, _token = backoffice.register_with_kiosk()
    with backoffice.runtime.sessions() as db:
        register = sales.get_register(db, name)
        return {"register": register.id, "name": name, "kiosk": register.kiosks[0].id}


def _card(backoffice, counter, source: str, fields: dict, *, kiosk: bool = True, sale: bool = False) -> dict:
    rt = backoffice.runtime
    with rt.sessions() as db:
        kiosk_id = counter["kiosk"] if kiosk else None
        open_sale = sales.open_sale(db, sales.get_register(db, counter["register"])) if sale else None
        registration = registrations.create(db, rt.vault, register_id=counter["register"], source=source,
                                            fields=fields, ttl_seconds=600, kiosk_id=kiosk_id,
                                            sale_id=open_sale.id if open_sale else None)
        db.flush()
        card = prompts.registration_card(db, rt.vault, registration, open_sale_id=open_sale.id if open_sale else None)
        db.rollback()
    return card


def test_a_scanned_vcard_card_shows_the_first_name_and_masked_identifiers(backoffice, counter):
    card = _card(backoffice, counter, "scan", {"first_name": "Klara", "last_name": "Kvist", "phone": "+46701234567",
                                               "email": "klara.kvist@example.org", "presented": "vcard"})
    assert (card["presented"], card["presented_label"], card["icon"]) == ("vcard", "vCard", "contact")
    assert (card["first_name"], card["last_initial"]) == ("Klara", "K.")
    assert card["identifiers"] == [("Phone", "+46 •••• ••67"), ("E-mail", "k•••@example.org")]
    assert "Kvist" not in repr(card) and "1234567" not in repr(card) and "klara.kvist" not in repr(card)
    assert card["kiosk_name"] == f"Kiosk {counter['name']}"
    assert CLOCK.fullmatch(card["created_local"]) and CLOCK.fullmatch(card["expires_local"])
    assert card["expires_at"] > card["created_at"]


def test_a_licence_says_so_and_shows_only_the_birth_year(backoffice, counter):
    card = _card(backoffice, counter, "scan", {"first_name": "Lars", "last_name": "Licens",
                                               "personal_id": "198005172388", "birth_date": "1980-05-17",
                                               "presented": "se_licence"})
    assert (card["presented_label"], card["icon"]) == ("Driving licence", "licence")
    assert card["identifiers"] == [("Personal ID", "19800517-****"), ("Born", "1980")]


def test_a_scan_stored_without_its_kind_is_told_by_its_fields(backoffice, counter):
    licence = _card(backoffice, counter, "scan", {"first_name": "Li", "birth_date": "1970-01-02"})
    contact = _card(backoffice, counter, "scan", {"first_name": "Vi", "email": "vi@example.org"})
    assert (licence["presented"], contact["presented"]) == ("se_licence", "vcard")


def test_enter_id_says_what_was_typed_and_a_nameless_prompt_needs_completion(backoffice, counter):
    card = _card(backoffice, counter, "enter", {"personal_id": "198504126379"})
    assert (card["presented_label"], card["typed"], card["icon"]) == ("Enter ID", "personal ID", "keypad")
    assert card["first_name"] == "" and card["needs_completion"]


def test_the_phone_form_and_the_sale_at_the_till(backoffice, counter):
    card = _card(backoffice, counter, "mobile", {"first_name": "Mo", "phone": "+46709876543"}, sale=True)
    assert (card["presented_label"], card["icon"]) == ("Phone form", "phone")
    assert card["at_till"] is True
    assert _card(backoffice, counter, "mobile", {"first_name": "Mo"}, kiosk=False)["kiosk_name"] == "Phone form"
