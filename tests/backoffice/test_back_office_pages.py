"""The back office's pages: customers, table mode, audit, ID cards and their e-mail, kiosks, staff, sales."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import replace
from email import message_from_bytes, policy

import pytest
import requests
from sqlalchemy import select, update

from backoffice.models import AuditEvent, CardBatch, IdCard, MailMessage
from backoffice.services import customers, mail
from tests.support.api import Api
from tests.support.staff import another_backoffice, new_staff, sign_in


@pytest.fixture
def manager(backoffice):
    return new_staff(backoffice, "manager")


def _reference(response) -> str:
    return re.search(r"/admin/customers/(cus_[0-9a-f]+)", response.url).group(1)


def test_a_manager_creates_edits_and_deletes_a_customer_with_labels(backoffice, manager, new_phone):
    phone = new_phone()
    created = manager.post_form("/admin/customers/new", {
        "first_name": "Maja", "last_name": "Form", "phone": phone, "email": "maja@example.org",
        "labels": "Regular, Summer promo", "marketing_consent": "yes"})
    assert created.status_code == 200 and "Customer created." in created.text
    reference = _reference(created)
    assert "Regular" in created.text and "Summer promo" in created.text and "+46 ••••" in created.text
    edit = manager.get(f"/admin/customers/{reference}/edit").text
    assert 'value="Regular, Summer promo"' in edit and "leave blank to keep" in edit and phone not in edit
    saved = manager.post_form(f"/admin/customers/{reference}/edit", {
        "first_name": "Maja", "last_name": "Formsson", "phone": "", "email": "maja@example.org", "labels": "Regular"})
    assert "Changes saved." in saved.text and "Formsson" in saved.text and "Summer promo" not in saved.text
    with backoffice.runtime.read_sessions() as db:
        row = customers.get_by_reference(db, reference)
        assert backoffice.runtime.vault.decrypt(row.phone_enc) == phone  # a blank phone kept the stored one
    assert "Record consent" in saved.text  # unticked consent box: withdrawn
    assert manager.get(f"/admin/customers/{reference}/delete").status_code == 200
    deleted = manager.post_form(f"/admin/customers/{reference}/delete")
    assert deleted.status_code == 200 and "was erased" in deleted.text
    assert manager.get(f"/admin/customers/{reference}").status_code == 404


def test_form_mistakes_are_shown_next_to_the_fields(manager):
    response = manager.post_form("/admin/customers/new", {"first_name": "", "last_name": "", "email": "not-mail",
                                                          "phone": "12"})
    assert response.status_code == 422
    assert response.text.count('class="field-error"') >= 3 and 'value="not-mail"' in response.text


def test_table_mode_creates_the_filled_rows_and_keeps_the_mistakes(backoffice, manager, new_phone):
    page = manager.get("/admin/customers/table").text
    assert "rows-9-first_name" in page and "labels" not in page.split("<form")[1].lower().split("</form>")[0]
    response = manager.post_form("/admin/customers/table", {
        "rows-0-first_name": "Tab", "rows-0-last_name": "One", "rows-0-phone": new_phone(),
        "rows-1-first_name": "Tab", "rows-1-last_name": "Two", "rows-1-marketing_consent": "yes",
        "rows-2-last_name": "Three", "rows-2-email": "broken@",
        "rows-4-first_name": "Tab", "rows-4-last_name": "Five"})
    assert response.status_code == 422
    assert "3 customers created" in response.text and "1 row could not be saved" in response.text
    assert 'value="broken@"' in response.text and 'value="Three"' in response.text
    assert response.text.count('class="row-error"') == 1


def test_viewing_a_customers_detail_is_itself_audited_and_shows_history_cards_consent(backoffice, manager, till,
                                                                                     make_customer):
    customer = make_customer(first_name="Vivi", marketing_consent=True)
    sale = till.open_sale()
    till.pos.post(f"/api/v1/sales/{sale['reference']}/lines", [{"product": "Linen shirt", "brand": "Arket",
                                                                 "variant": "S", "unit_price": "590"}])
    till.pos.put(f"/api/v1/sales/{sale['reference']}/customer", {"customer": customer["reference"]})
    page = manager.get(f"/admin/customers/{customer['reference']}").text
    for text in ("Purchase history", "Linen shirt", "Arket", '<span class="size">S</span>', "ID cards", "Consent",
                 "marketing", "Audit trail", "customer viewed", "customer created"):
        assert text in page, text
    with backoffice.runtime.read_sessions() as db:
        customer_id = customers.get_by_reference(db, customer["reference"]).id
        views = db.execute(select(AuditEvent).where(AuditEvent.customer_id == customer_id,
                                                    AuditEvent.action == "customer_viewed")).scalars().all()
    assert views and views[-1].actor.startswith("staff:manager")


def test_a_card_batch_is_created_listed_and_printed_with_qr_codes(backoffice, manager):
    prefix = "B" + uuid.uuid4().hex[:6].upper()
    response = manager.post_form("/admin/cards/batches", {"prefix": prefix.lower(), "size": "12", "name": "Test batch"})
    assert response.status_code == 200 and "Batch created with 12 cards." in response.text
    assert response.text.count(f">{prefix}-") == 12 and "Unlinked" in response.text
    batch_id = int(re.search(r"/admin/cards/batches/(\d+)", response.url).group(1))
    sheet = manager.get(f"/admin/cards/batches/{batch_id}/print?state=all").text
    assert sheet.count("<div class=\"qr\"><svg") == 12 and "@media print" not in sheet  # the print rules live in the stylesheet
    css = requests.get(f"{backoffice.base_url}/static/staff.css", timeout=10).text
    assert "@media print" in css
    bad = manager.post_form("/admin/cards/batches", {"prefix": "no spaces!", "size": "5"})
    assert bad.status_code == 422 and "A card prefix has 1 to 12 letters or digits." in bad.text


def _card_of_new_batch(backoffice) -> str:
    from backoffice.services import cards

    with backoffice.runtime.sessions() as db:
        batch = cards.create_batch(db, "E" + uuid.uuid4().hex[:6].upper(), 1)
        code = db.execute(select(IdCard.code).where(IdCard.batch_id == batch.id)).scalar_one()
        db.commit()
    return code


def test_a_card_is_linked_and_unlinked_from_the_back_office(backoffice, manager, make_customer):
    customer = make_customer(first_name="Linka")
    code = _card_of_new_batch(backoffice)
    linked = manager.post_form(f"/admin/cards/code/{code}/link", {"customer": str(customer["customer_number"])})
    assert "Card linked." in linked.text and "Linka Customer" in linked.text
    other = make_customer()
    refused = manager.post_form(f"/admin/cards/code/{code}/link", {"customer": str(other["customer_number"])})
    assert "Unlink card" in refused.text  # already linked: the page offers unlinking, not a second link
    unlinked = manager.post_form(f"/admin/cards/code/{code}/unlink")
    assert "Card unlinked." in unlinked.text and "Not linked" in unlinked.text
    unknown = manager.post_form(f"/admin/cards/code/{code}/link", {"customer": "999999999"})
    assert unknown.status_code == 404 and "No customer matches" in unknown.text


def test_e_mailing_an_unlinked_card_links_it_and_the_message_lands_in_the_outbox(backoffice, manager, make_customer):
    address = f"card{uuid.uuid4().hex[:8]}@example.org"
    customer = make_customer(first_name="Mejla", email=address)
    code = _card_of_new_batch(backoffice)
    response = manager.post_form(f"/admin/cards/code/{code}/email", {"email": address})
    assert response.status_code == 200 and f"on its way to {address}" in response.text
    assert "Mejla Customer" in response.text  # linked to the customer with that address
    outbox = backoffice.settings.mail_outbox_dir
    deadline = time.monotonic() + 10
    found = []
    while time.monotonic() < deadline and not found:
        found = [p for p in outbox.glob("*.eml") if address in p.read_text()]
        time.sleep(0.1)
    assert found, "no .eml in the outbox"
    message = message_from_bytes(found[0].read_bytes(), policy=policy.default)
    assert message["To"] == address and "membership card" in message["Subject"]
    assert f"{backoffice.settings.base_url}/c/{code}" in message.get_content()
    mail_page = manager.get("/admin/mail").text
    assert address in mail_page and "badge-sent" in mail_page
    detail = manager.get(f"/admin/customers/{customer['reference']}").text
    assert code in detail and "mail queued" in detail


def test_e_mailing_a_card_to_an_unknown_address_is_refused_clearly(backoffice, manager):
    code = _card_of_new_batch(backoffice)
    response = manager.post_form(f"/admin/cards/code/{code}/email", {"email": "nobody-here@example.org"})
    assert response.status_code == 404 and "No customer has the e-mail address" in response.text


@pytest.fixture(scope="module")
def broken_mail(tmp_path_factory):
    """A server whose SMTP target refuses connections (port 9 on localhost is closed)."""
    with another_backoffice(tmp_path_factory, smtp_url="smtp://127.0.0.1:9") as server:
        yield server


def test_mail_failures_are_recorded_retried_later_and_shown(broken_mail, make_customer):
    username, password = broken_mail.staff("manager")
    manager = sign_in(broken_mail.base_url, username, password)
    pos = Api(broken_mail.base_url, broken_mail.api_key())
    customer = pos.post("/api/v1/customers", {"first_name": "Fel", "email": "fel@example.org"}).json()
    code = _card_of_new_batch(broken_mail)
    manager.post_form(f"/admin/cards/code/{code}/link", {"customer": customer["reference"]})
    manager.post_form(f"/admin/cards/code/{code}/email", {"email": ""})  # blank: the customer's own address
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with broken_mail.runtime.read_sessions() as db:
            message = db.execute(select(MailMessage).where(MailMessage.to_address == "fel@example.org")).scalar_one()
        if message.attempts and message.status != "sending":  # the attempt has finished, not just started
            break
        time.sleep(0.1)
    assert message.status == "queued" and message.attempts == 1 and "Connection" in message.error
    assert message.next_attempt_at is not None
    page = manager.get("/admin/mail").text
    assert "fel@example.org" in page and "ConnectionRefusedError" in page and "next try" in page
    # The last allowed attempt fails for good.
    with broken_mail.runtime.sessions() as db:
        db.execute(update(MailMessage).where(MailMessage.id == message.id)
                   .values(attempts=mail.MAX_ATTEMPTS - 1, next_attempt_at=None))
        db.commit()
    mail.deliver_due(broken_mail.runtime.sessions, broken_mail.settings)
    with broken_mail.runtime.read_sessions() as db:
        assert db.get(MailMessage, message.id).status == "failed"
    assert "badge-failed" in manager.get("/admin/mail").text
    # "Retry now" queues it again and tries at once (and the server is still broken).
    retried = manager.post_form(f"/admin/mail/{message.id}/retry")
    assert retried.status_code == 200 and "Sending again." in retried.text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with broken_mail.runtime.read_sessions() as db:
            again = db.get(MailMessage, message.id)
        if again.status == "queued" and again.attempts == 1:
            break
        time.sleep(0.1)
    assert again.status == "queued" and again.attempts == 1
    # Once the mail server works, the next round delivers it.  (The server's own loop, still pointed
    # at the broken server, may claim the message first; then the next round is ours.)
    for _ in range(3):
        with broken_mail.runtime.sessions() as db:
            db.execute(update(MailMessage).where(MailMessage.id == message.id, MailMessage.status == "queued")
                       .values(next_attempt_at=None))
            db.commit()
        mail.deliver_due(broken_mail.runtime.sessions, replace(broken_mail.settings, smtp_url=""))
        with broken_mail.runtime.read_sessions() as db:
            if db.get(MailMessage, message.id).status == "sent":
                break
        time.sleep(0.2)
    with broken_mail.runtime.read_sessions() as db:
        assert db.get(MailMessage, message.id).status == "sent"


def test_pairing_a_kiosk_shows_a_pairing_code_the_kiosk_trades_for_its_token_and_revoking_stops_it(backoffice, manager):
    name = backoffice.unique("Till")
    created = manager.post_form("/admin/devices/registers", {"name": name})
    assert f"Register {name} created." in created.text
    register_id = int(re.search(rf'name="register" value="(\d+)">\s*<input name="name" placeholder="Kiosk name, e.g. Kiosk at {name}"',
                                created.text).group(1))
    paired = manager.post_form("/admin/devices/kiosks", {"register": str(register_id), "name": "Front kiosk"})
    assert "<svg" in paired.text and "kd_" not in paired.text and paired.headers["cache-control"] == "no-store"
    code = re.search(r"KIOSKPAIR:https?://[^\s<]+?:([0-9A-Z]{5}-[0-9A-Z]{5})", paired.text).group(1)
    token = Api(backoffice.base_url).post("/api/v1/kiosk/pair", {"code": code},
                                          headers={"X-Forwarded-For": "198.51.100.7"}).json()["device_token"]
    kiosk = Api(backoffice.base_url, token)
    assert kiosk.post("/api/v1/kiosk/status", {"screen": "home", "camera": "running", "version": "1.2"}).status_code == 204
    devices = manager.get("/admin/devices").text
    assert token not in devices and "Front kiosk" in devices and "Screen: home" in devices and "v1.2" in devices
    kiosk_id = int(re.search(r"/admin/devices/kiosks/(\d+)/revoke", devices.split("Front kiosk")[1]).group(1))
    assert "has been unpaired" in manager.post_form(f"/admin/devices/kiosks/{kiosk_id}/revoke").text
    assert kiosk.get("/api/v1/kiosk/state").status_code == 401


def test_a_manager_adds_staff_who_can_then_sign_in_with_their_role(backoffice, manager):
    username = f"kassa{uuid.uuid4().hex[:6]}"
    added = manager.post_form("/admin/staff", {"username": username, "display_name": "Ny Kassör", "role": "cashier",
                                               "password": "first-password"})
    assert f"{username} can now sign in." in added.text
    weak = manager.post_form("/admin/staff", {"username": username + "x", "role": "cashier", "password": "short"})
    assert weak.status_code == 422 and "at least 8 characters" in weak.text
    cashier = sign_in(backoffice.base_url, username, "first-password")
    assert cashier.get("/admin/staff").status_code == 403


def test_a_sale_without_customer_is_tracked_from_the_sales_list(backoffice, manager, till, make_customer):
    customer = make_customer(first_name="Spår")
    sale = till.open_sale()
    till.pos.post(f"/api/v1/sales/{sale['reference']}/close")
    listing = manager.get("/admin/sales", params={"untracked": "1"}).text
    assert f"/admin/sales/{sale['reference']}#track" in listing
    found = manager.get(f"/admin/sales/{sale['reference']}", params={"q": str(customer["customer_number"])}).text
    assert "Track to this customer" in found
    tracked = manager.post_form(f"/admin/sales/{sale['reference']}/track", {"customer": customer["reference"]})
    assert "The sale is now tracked to Spår Customer." in tracked.text
    assert till.pos.get(f"/api/v1/sales/{sale['reference']}").json()["connected_via"] == "back_office"


def test_card_batches_are_listed_with_linked_counts(backoffice, manager):
    with backoffice.runtime.read_sessions() as db:
        batch = db.execute(select(CardBatch).order_by(CardBatch.id.desc()).limit(1)).scalar_one_or_none()
    page = manager.get("/admin/cards").text
    assert "Create a batch" in page and (batch is None or batch.name in page)
