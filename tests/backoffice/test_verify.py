"""The venue scanner (verify mode): answers, the signed offline list, offline scans, mode changes, the scan log."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import select

from backoffice.models import VerifyScan
from backoffice.services import cards
from counter_core.identity import parse_payload
from tests.support.api import Api, error_code
from tests.support.staff import new_staff

PERSONAL = ("last_name", "phone", "email", "personal_id", "birth_date", "street", "postal_code", "city", "customer_number")


def _tag() -> str:
    return f"door-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def door(backoffice, pos):
    """A kiosk paired with its own register, switched to verify mode by the POS API."""
    _, token = backoffice.register_with_kiosk()
    kiosk_id = next(k["id"] for k in pos.get("/api/v1/kiosks").json()["kiosks"] if token.startswith(k["token_hint"]))

    class Door:
        api = Api(backoffice.base_url, token)
        id = kiosk_id

        @staticmethod
        def configure(group_ids=None, mode="verify") -> dict:
            response = pos.patch(f"/api/v1/kiosks/{kiosk_id}", {"mode": mode, "verify_group_ids": group_ids})
            assert response.status_code == 200, response.text
            return response.json()

        @staticmethod
        def verify(**body) -> requests.Response:
            return Door.api.post("/api/v1/kiosk/verify", body, headers={"Idempotency-Key": uuid.uuid4().hex})

    Door.token = token
    return Door


@pytest.fixture
def group(pos):
    def make(tag: str, **fields) -> dict:
        body = {"name": f"Door group {uuid.uuid4().hex[:6]}", "colour": "#0369a1",
                "criteria": {"match": "all", "rules": [{"field": "tag", "op": "has", "value": tag}]}, **fields}
        response = pos.post("/api/v1/groups", body)
        assert response.status_code == 201, response.text
        return response.json()

    return make


def _number(customer: dict) -> dict:
    return {"kind": "customer_number", "customer_number": str(customer["customer_number"])}


def _personal_keys(value) -> set:
    if isinstance(value, dict):
        return set(value) & set(PERSONAL) | set().union(*map(_personal_keys, value.values()))
    if isinstance(value, list):
        return set().union(*map(_personal_keys, value)) if value else set()
    return set()


def _linked_card(backoffice, customer: dict) -> str:
    from backoffice.services import customers

    with backoffice.runtime.sessions() as db:
        batch = cards.create_batch(db, "DOOR", 2)
        card = db.execute(select(cards.IdCard).where(cards.IdCard.batch_id == batch.id)).scalars().first()
        cards.link(db, card, customers.get_by_reference(db, customer["reference"]), actor="test")
        db.commit()
        return card.code


def test_success_when_the_customer_is_in_a_selected_group(door, group, make_customer):
    tag = _tag()
    friends, vip = group(tag), group(tag, blink=True)
    customer = make_customer(first_name="Frej", tags=[tag])
    door.configure([friends["id"]])
    answer = door.verify(**_number(customer)).json()
    assert answer["result"] == "success" and answer["matched_groups"] == [friends["id"]]
    assert answer["customer"] == {
        "reference": customer["reference"], "first_name": "Frej",
        "groups": [{"id": friends["id"], "name": friends["name"], "colour": "#0369a1", "blink": False},
                   {"id": vip["id"], "name": vip["name"], "colour": "#0369a1", "blink": True}]}
    assert _personal_keys(answer) == set()


def test_warning_when_known_but_in_none_of_the_selected_groups(door, group, make_customer):
    tag = _tag()
    selected, other = group(_tag()), group(tag)
    customer = make_customer(first_name="Wilma", tags=[tag])
    door.configure([selected["id"]])
    answer = door.verify(**_number(customer)).json()
    assert answer["result"] == "warning" and answer["matched_groups"] == []
    assert answer["customer"]["first_name"] == "Wilma"
    assert [g["id"] for g in answer["customer"]["groups"]] == [other["id"]]  # still shows what they are in


def test_unknown_when_nobody_has_the_number_or_the_card(backoffice, door):
    door.configure(None)
    answer = door.verify(kind="customer_number", customer_number="98765432").json()
    assert answer == {"result": "unknown", "matched_groups": []}
    with backoffice.runtime.sessions() as db:
        batch = cards.create_batch(db, "LOOSE", 1)
        code = db.execute(select(cards.IdCard.code).where(cards.IdCard.batch_id == batch.id)).scalar_one()
        db.commit()
    assert door.verify(kind="card_code", card_code=code).json()["result"] == "unknown"  # a card nobody owns


def test_all_groups_means_every_group_visible_in_scanners(door, group, make_customer):
    tag = _tag()
    visible, hidden = group(tag), group(tag, visible_in_scanners=False)
    customer = make_customer(tags=[tag])
    door.configure(None)
    answer = door.verify(**_number(customer)).json()
    assert answer["result"] == "success" and answer["matched_groups"] == [visible["id"]]
    assert hidden["id"] not in [g["id"] for g in answer["customer"]["groups"]]
    only_hidden = make_customer()
    answer = door.verify(**_number(only_hidden)).json()
    assert answer["result"] == "warning"


def test_a_card_code_and_a_card_link_are_read_like_the_kiosk_reads_them(backoffice, door, group, make_customer):
    tag = _tag()
    members = group(tag)
    customer = make_customer(first_name="Carla", tags=[tag])
    code = _linked_card(backoffice, customer)
    door.configure([members["id"]])
    assert door.verify(kind="card_code", card_code=code.lower()).json()["result"] == "success"
    scanned = parse_payload(f"https://shop.example/c/{code}")  # the kiosk's own parser
    assert scanned.kind == "card_code"
    answer = door.verify(kind="card_code", card_code=scanned.card_code).json()
    assert answer["result"] == "success" and answer["customer"]["first_name"] == "Carla"
    raw_link = door.verify(kind="card_code", card_code=f"https://shop.example/c/{code}").json()
    assert raw_link["result"] == "success"  # a link sent as it was scanned is read server-side too
    by_number = door.verify(kind="card_code", card_code=f"https://shop.example/?customer={customer['customer_number']}")
    assert by_number.json()["result"] == "success"


def test_bad_identifiers_are_refused(door):
    door.configure(None)
    assert error_code(door.verify(kind="customer_number", customer_number="0123")) == "invalid_customer_number"
    assert error_code(door.verify(kind="card_code", card_code="NO SPACES")) == "invalid_card_code"
    assert error_code(door.verify(kind="card_code", card_code="https://shop.example/about")) == "invalid_card_code"
    assert door.verify(kind="phone", phone="+46701234567").status_code == 422


def test_a_kiosk_not_in_verify_mode_is_refused(door, till):
    for api in (door.api, till.kiosk):
        refused = api.post("/api/v1/kiosk/verify", {"kind": "customer_number", "customer_number": "100001"})
        assert refused.status_code == 409 and error_code(refused) == "not_in_verify_mode"
        assert error_code(api.get("/api/v1/kiosk/verify-cache")) == "not_in_verify_mode"


def test_a_revoked_kiosk_gets_token_revoked_everywhere(pos, door):
    door.configure(None)
    assert pos.post(f"/api/v1/kiosks/{door.id}/revoke").status_code == 200
    for response in (door.verify(kind="customer_number", customer_number="100001"),
                     door.api.get("/api/v1/kiosk/verify-cache"),
                     door.api.post("/api/v1/kiosk/verify-log", {"scans": []}, headers={"Idempotency-Key": "k"})):
        assert response.status_code == 401 and error_code(response) == "token_revoked"


def test_only_kiosks_use_the_verify_endpoints(pos):
    refused = pos.post("/api/v1/kiosk/verify", {"kind": "customer_number", "customer_number": "1"})
    assert refused.status_code == 403 and error_code(refused) == "forbidden"


def test_every_scan_is_logged_once_per_idempotency_key(backoffice, door, group, make_customer):
    tag = _tag()
    members = group(tag)
    customer = make_customer(tags=[tag])
    door.configure([members["id"]])
    key = uuid.uuid4().hex
    first = door.api.post("/api/v1/kiosk/verify", _number(customer), headers={"Idempotency-Key": key}).json()
    again = door.api.post("/api/v1/kiosk/verify", _number(customer), headers={"Idempotency-Key": key}).json()
    assert first == again
    door.verify(kind="customer_number", customer_number="98765431")
    with backoffice.runtime.read_sessions() as db:
        scans = db.execute(select(VerifyScan).where(VerifyScan.kiosk_id == door.id).order_by(VerifyScan.id)).scalars()
        logged = [(s.result, s.customer_reference, s.offline) for s in scans]
    assert logged == [("success", customer["reference"], False), ("unknown", None, False)]


def test_changing_the_mode_wakes_the_kiosks_long_poll(pos, door, group):
    state = door.api.get("/api/v1/kiosk/state").json()
    assert state["kiosk"]["mode"] == "connect" and state["kiosk"]["verify_groups"] == []
    members = group(_tag())
    answers = {}

    def long_poll():
        started = time.monotonic()
        answers["state"] = door.api.get("/api/v1/kiosk/state", params={"wait": 20, "after": state["version"]}).json()
        answers["seconds"] = time.monotonic() - started

    waiter = threading.Thread(target=long_poll)
    waiter.start()
    time.sleep(0.5)
    door.configure([members["id"]])
    waiter.join(25)
    assert answers["seconds"] < 5, answers
    assert answers["state"]["kiosk"]["mode"] == "verify"
    assert answers["state"]["kiosk"]["verify_groups"] == [
        {"id": members["id"], "name": members["name"], "colour": members["colour"], "blink": False}]
    renamed = pos.patch(f"/api/v1/groups/{members['id']}", {"name": members["name"] + " renamed"}).json()
    later = door.api.get("/api/v1/kiosk/state", params={"wait": 5, "after": answers["state"]["version"]}).json()
    assert later["kiosk"]["verify_groups"][0]["name"] == renamed["name"]


def test_the_selection_only_takes_groups_visible_in_scanners(pos, door, group):
    hidden = group(_tag(), visible_in_scanners=False)
    for ids in ([hidden["id"]], [], [999999]):
        response = pos.patch(f"/api/v1/kiosks/{door.id}", {"mode": "verify", "verify_group_ids": ids})
        assert response.status_code == 422 and error_code(response) == "invalid_verify_groups"
    bad_mode = pos.patch(f"/api/v1/kiosks/{door.id}", {"mode": "scan"})
    assert bad_mode.status_code == 422


def test_a_group_a_door_verifies_alone_cannot_be_deleted_and_others_leave_its_selection(pos, door, group,
                                                                                         make_customer):
    tag = _tag()
    selected, other = group(tag), group(tag)
    customer = make_customer(tags=[tag])
    door.configure([selected["id"]])
    refused = pos.delete(f"/api/v1/groups/{selected['id']}")
    assert refused.status_code == 409 and error_code(refused) == "group_verified_by_kiosk"
    door.configure([selected["id"], other["id"]])
    assert pos.delete(f"/api/v1/groups/{other['id']}").status_code == 204
    kiosk = next(k for k in pos.get("/api/v1/kiosks").json()["kiosks"] if k["id"] == door.id)
    assert kiosk["verify_group_ids"] == [selected["id"]]
    assert door.verify(**_number(customer)).json()["matched_groups"] == [selected["id"]]


def test_hiding_a_verified_group_from_scanners_turns_its_members_to_warnings_online_and_offline(pos, door, group,
                                                                                                make_customer):
    tag = _tag()
    selected = group(tag)
    customer = make_customer(tags=[tag])
    door.configure([selected["id"]])
    pos.patch(f"/api/v1/groups/{selected['id']}", {"visible_in_scanners": False})
    assert door.verify(**_number(customer)).json()["result"] == "warning"
    document = _document(door.api.get("/api/v1/kiosk/verify-cache"))
    assert document["selected_group_ids"] == [selected["id"]]  # never [], which a kiosk could read as "all"
    assert document["entries"][f"n:{customer['customer_number']}"]["g"] == []


# ---------------------------------------------------------------- the offline list


def _lines(raw: bytes) -> list[bytes]:
    assert raw.endswith(b"\n")
    return raw[:-1].split(b"\n")


def _document(response) -> dict:
    """The served list read line by line: the header's fields, ``entries`` {key: {"f", "g", "r"}}, ``signature``."""
    header, *entries, last = [json.loads(line) for line in _lines(response.content)]
    document = {**header, "signature": last["signature"], "entries": {}}
    for key, first_name, groups, reference in entries:
        document["entries"][key] = {"f": first_name, "g": groups, "r": reference}
    return document


def _signature_ok(raw: bytes, token: str) -> bool:
    """HMAC-SHA256 keyed with sha256(token), over every byte before the signature line."""
    *signed, last = _lines(raw)
    key = bytes.fromhex(hashlib.sha256(token.encode()).hexdigest())
    expected = hmac.new(key, b"".join(line + b"\n" for line in signed), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, json.loads(last)["signature"])


def test_the_offline_list_holds_every_customer_and_card_with_first_name_and_groups(backoffice, door, group,
                                                                                   make_customer):
    tag = _tag()
    members, hidden = group(tag), group(tag, visible_in_scanners=False)
    customer = make_customer(first_name="Åsa", last_name="Secret", email="asa@example.org", tags=[tag])
    outsider = make_customer(first_name="Olle")
    code = _linked_card(backoffice, customer)
    door.configure([members["id"]])
    response = door.api.get("/api/v1/kiosk/verify-cache")
    assert response.status_code == 200 and response.headers["ETag"]
    assert response.headers["Content-Type"] == "application/x-ndjson"
    document = _document(response)
    assert document["version"] == 2 and document["selected_group_ids"] == [members["id"]]
    generated = dt.datetime.fromisoformat(document["generated_at"])
    assert dt.datetime.fromisoformat(document["expires_at"]) - generated == dt.timedelta(hours=24)
    assert abs(generated - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert document["groups"][str(members["id"])] == {"name": members["name"], "colour": "#0369a1", "blink": False}
    assert str(hidden["id"]) not in document["groups"]
    entry = {"r": customer["reference"], "f": "Åsa", "g": [members["id"]]}
    assert document["entries"][f"n:{customer['customer_number']}"] == entry
    assert document["entries"][f"c:{code}"] == entry
    assert document["entries"][f"n:{outsider['customer_number']}"] == {"r": outsider["reference"], "f": "Olle", "g": []}
    assert all(set(e) == {"r", "f", "g"} for e in document["entries"].values())
    assert "Secret" not in response.text and "asa@example.org" not in response.text
    assert _signature_ok(response.content, door.token)
    assert not _signature_ok(response.content, door.token + "x")
    tampered = response.content.replace(f'"selected_group_ids":[{members["id"]}]'.encode(), b'"selected_group_ids":null')
    assert tampered != response.content and not _signature_ok(tampered, door.token)


def test_the_offline_list_is_one_canonical_json_value_per_line_and_gzipped_when_asked(door):
    door.configure(None)
    plain = door.api.get("/api/v1/kiosk/verify-cache", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    lines = _lines(plain.content)
    assert len(lines) >= 3 and list(json.loads(lines[-1])) == ["signature"]
    for line in lines:
        assert line == json.dumps(json.loads(line), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    keys = [json.loads(line)[0] for line in lines[1:-1]]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    zipped = door.api.get("/api/v1/kiosk/verify-cache", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.content == plain.content


def test_an_unchanged_offline_list_costs_a_304_and_a_change_a_new_etag(pos, door, make_customer):
    door.configure(None)
    first = door.api.get("/api/v1/kiosk/verify-cache")
    etag = first.headers["ETag"]
    unchanged = door.api.get("/api/v1/kiosk/verify-cache", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["ETag"] == etag
    customer = make_customer(first_name="Newcomer")
    changed = door.api.get("/api/v1/kiosk/verify-cache", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert f"n:{customer['customer_number']}" in _document(changed)["entries"]
    renamed_etag = changed.headers["ETag"]
    pos.patch(f"/api/v1/customers/{customer['reference']}", {"first_name": "Renamed"})
    renamed = door.api.get("/api/v1/kiosk/verify-cache", headers={"If-None-Match": renamed_etag})
    assert renamed.status_code == 200 and _document(renamed)["entries"][f"n:{customer['customer_number']}"]["f"] == "Renamed"
    pos.delete(f"/api/v1/customers/{customer['reference']}")
    gone = door.api.get("/api/v1/kiosk/verify-cache", headers={"If-None-Match": renamed.headers["ETag"]})
    assert gone.status_code == 200 and f"n:{customer['customer_number']}" not in _document(gone)["entries"]


def test_a_group_change_changes_the_offline_list(pos, door, group, make_customer):
    tag = _tag()
    members = group(tag)
    customer = make_customer()
    door.configure([members["id"]])
    before = door.api.get("/api/v1/kiosk/verify-cache")
    pos.post(f"/api/v1/groups/{members['id']}/members", {"customer": customer["reference"]})
    after = door.api.get("/api/v1/kiosk/verify-cache", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert _document(after)["entries"][f"n:{customer['customer_number']}"]["g"] == [members["id"]]


def test_each_kiosk_gets_its_own_signature(backoffice, pos, door):
    _, other_token = backoffice.register_with_kiosk()
    other_id = next(k["id"] for k in pos.get("/api/v1/kiosks").json()["kiosks"] if other_token.startswith(k["token_hint"]))
    pos.patch(f"/api/v1/kiosks/{other_id}", {"mode": "verify", "verify_group_ids": None})
    door.configure(None)
    mine = door.api.get("/api/v1/kiosk/verify-cache")
    theirs = Api(backoffice.base_url, other_token).get("/api/v1/kiosk/verify-cache")
    assert mine.headers["ETag"] != theirs.headers["ETag"]
    assert _signature_ok(theirs.content, other_token) and not _signature_ok(theirs.content, door.token)


# ---------------------------------------------------------------- scans answered offline


def test_offline_scans_are_stored_exactly_once_per_key(backoffice, door, make_customer):
    customer = make_customer()
    door.configure(None)
    at = "2026-11-20T18:30:00+01:00"
    body = {"scans": [{"at": at, "result": "success", "customer_reference": customer["reference"]},
                      {"at": "2026-11-20T18:31:00Z", "result": "unknown", "customer_reference": None}]}
    key = uuid.uuid4().hex
    first = door.api.post("/api/v1/kiosk/verify-log", body, headers={"Idempotency-Key": key})
    assert first.status_code == 201 and first.json() == {"stored": 2}
    again = door.api.post("/api/v1/kiosk/verify-log", body, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json() == {"stored": 2}
    reused = door.api.post("/api/v1/kiosk/verify-log", {"scans": body["scans"][:1]}, headers={"Idempotency-Key": key})
    assert reused.status_code == 422 and error_code(reused) == "idempotency_key_reused"
    with backoffice.runtime.read_sessions() as db:
        rows = db.execute(select(VerifyScan).where(VerifyScan.kiosk_id == door.id, VerifyScan.offline.is_(True))
                          .order_by(VerifyScan.at)).scalars().all()
    assert [(r.result, r.customer_reference) for r in rows] == [("success", customer["reference"]), ("unknown", None)]
    assert rows[0].at == dt.datetime(2026, 11, 20, 17, 30, tzinfo=dt.UTC)


def test_offline_scans_need_a_key_and_well_formed_rows(door):
    door.configure(None)
    scan = {"at": "2026-11-20T18:30:00Z", "result": "success", "customer_reference": None}
    missing = door.api.post("/api/v1/kiosk/verify-log", {"scans": [scan]})
    assert missing.status_code == 400 and error_code(missing) == "idempotency_key_required"
    for bad in ({**scan, "result": "maybe"}, {**scan, "customer_reference": "100001"}, {**scan, "at": "yesterday"}):
        response = door.api.post("/api/v1/kiosk/verify-log", {"scans": [bad]}, headers={"Idempotency-Key": "x1"})
        assert response.status_code == 422, bad


def test_a_kiosk_switched_back_to_connect_still_uploads_its_offline_scans(door):
    door.configure(None)
    door.configure(None, mode="connect")
    response = door.api.post("/api/v1/kiosk/verify-log", {"scans": [
        {"at": "2026-11-20T18:30:00Z", "result": "warning", "customer_reference": None}]},
        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201


# ---------------------------------------------------------------- the managers' pages


def test_the_scan_log_counts_per_result_and_filters_by_kiosk_and_result(backoffice, door, group, make_customer):
    tag = _tag()
    members = group(tag)
    member = make_customer(tags=[tag])
    door.configure([members["id"]])
    door.verify(**_number(member))
    door.verify(**_number(make_customer()))
    door.verify(kind="customer_number", customer_number="98765430")
    manager = new_staff(backoffice, "manager")
    page = manager.get(f"/admin/scans?kiosk={door.id}")
    assert page.status_code == 200
    assert page.text.count('<tr>') >= 3
    assert f'href="/admin/customers/{member["reference"]}"' in page.text
    only_unknown = manager.get(f"/admin/scans?kiosk={door.id}&result=unknown").text
    table = only_unknown.split('id="scan-table"')[1]
    assert "Not recognised" in table and "Success</span>" not in table and member["reference"] not in table
    assert 'data-result="success"' in page.text and "Last 7 days" in page.text


def test_the_kiosk_mode_is_set_on_the_devices_pages(backoffice, door, group):
    members = group(_tag())
    manager = new_staff(backoffice, "manager")
    form = manager.get(f"/admin/devices/kiosks/{door.id}/mode")
    assert form.status_code == 200 and members["name"] in form.text
    refused = manager.post_form(f"/admin/devices/kiosks/{door.id}/mode", {"mode": "verify", "groups": "selected"})
    assert refused.status_code == 422 and "Choose at least one group" in refused.text
    saved = manager.post_form(f"/admin/devices/kiosks/{door.id}/mode",
                              {"mode": "verify", "groups": "selected", "group_id": str(members["id"])})
    assert saved.status_code == 200 and "is now a venue scanner" in saved.text
    state = door.api.get("/api/v1/kiosk/state").json()
    assert state["kiosk"]["mode"] == "verify" and [g["id"] for g in state["kiosk"]["verify_groups"]] == [members["id"]]
    assert "Venue scanner" in manager.get("/admin/devices").text


def test_the_kiosks_own_offline_store_accepts_the_list_and_answers_like_the_server(tmp_path, backoffice, door, group,
                                                                                  make_customer):
    from kiosk.verify_cache import VerifyCache

    tag = _tag()
    members = group(tag)
    member, outsider = make_customer(first_name="Mira", tags=[tag]), make_customer(first_name="Otto")
    code = _linked_card(backoffice, member)
    door.configure([members["id"]])
    response = door.api.get("/api/v1/kiosk/verify-cache")
    store = VerifyCache(tmp_path / "verify-cache.sqlite3", door.token)
    assert store.store(response.content, etag=response.headers["ETag"]) == len(_document(response)["entries"])
    for scanned in (parse_payload(str(member["customer_number"])), parse_payload(f"https://shop.example/c/{code}"),
                    parse_payload(str(outsider["customer_number"])), parse_payload("98765428")):
        online = door.verify(kind=scanned.kind, customer_number=scanned.customer_number,
                             card_code=scanned.card_code).json()
        offline = store.answer(scanned, None)
        assert offline.result == online["result"], scanned
        if "customer" in online:
            assert offline.first_name == online["customer"]["first_name"]
            assert offline.reference == online["customer"]["reference"]
            assert [g["id"] for g in offline.groups] == [g["id"] for g in online["customer"]["groups"]]
