"""The OpenAPI schema describes every answer of the JSON API, and real answers match it field for field."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.support.staff import new_staff, register_id

NO_BODY = {"204", "304"}


@pytest.fixture(scope="module")
def spec(backoffice) -> dict:
    return requests.get(backoffice.base_url + "/openapi.json", timeout=30).json()


def _success(op: dict) -> tuple[str, dict]:
    code = next(c for c in op["responses"] if c.startswith("2"))
    return code, op["responses"][code]


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _problems(spec: dict, value, schema: dict, where: str) -> list[str]:
    """Where ``value`` differs from ``schema``: a missing required field, a field not declared, a wrong type."""
    schema = _resolve(spec, schema)
    if "anyOf" in schema:
        tries = [_problems(spec, value, option, where) for option in schema["anyOf"]]
        return [] if any(not t for t in tries) else min(tries, key=len)
    kind = schema.get("type")
    if value is None:
        return [] if kind in (None, "null") else [f"{where}: null, schema says {kind}"]
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__}, schema says object"]
        props = schema.get("properties", {})
        out = [f"{where}.{k}: required, missing" for k in schema.get("required", []) if k not in value]
        for key, item in value.items():
            if key in props:
                out += _problems(spec, item, props[key], f"{where}.{key}")
            elif props and schema.get("additionalProperties") is not True or not props and not schema.get(
                    "additionalProperties", True):
                out.append(f"{where}.{key}: not declared")
            elif props:  # a model that allows more fields: every field a real answer has must still be declared
                out.append(f"{where}.{key}: not declared")
        return out
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__}, schema says array"]
        return [p for i, item in enumerate(value) for p in _problems(spec, item, schema.get("items", {}), f"{where}[{i}]")]
    expected = {"string": str, "integer": int, "boolean": bool, "number": (int, float)}.get(kind)
    if expected and (not isinstance(value, expected) or kind == "integer" and isinstance(value, bool)):
        return [f"{where}: {value!r} is not {kind}"]
    return []


def _check(spec: dict, response: requests.Response, method: str, template: str) -> None:
    assert response.status_code < 300, (method, template, response.status_code, response.text[:300])
    op = spec["paths"][template][method]
    code, declared = _success(op)
    assert str(response.status_code) in op["responses"], (method, template, response.status_code)
    if response.status_code == 204:
        return
    schema = declared["content"]["application/json"]["schema"]
    problems = _problems(spec, response.json(), schema, f"{method.upper()} {template}")
    assert not problems, problems


def test_every_route_documents_a_schema_for_its_answer(spec):
    undocumented = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            code, declared = _success(op)
            if code in NO_BODY:
                continue
            content = declared.get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                if not any(media != "application/json" and body.get("schema") for media, body in content.items()):
                    undocumented.append(f"{method.upper()} {path}: no schema")
                continue
            resolved = _resolve(spec, schema)
            if not resolved.get("properties"):  # a bare "object" (a route returning a dict) describes nothing
                undocumented.append(f"{method.upper()} {path}: {schema}")
    assert not undocumented, undocumented


def test_real_answers_of_staff_and_pos_routes_match_the_schema(backoffice, spec, pos, till, make_customer, new_phone):
    check = lambda response, method, template: _check(spec, response, method, template)  # noqa: E731
    customer = make_customer(first_name="Schema", last_name="Checked", email=f"s{uuid.uuid4().hex[:6]}@example.org",
                             labels=["Regular"], tags=["news"], birth_date="1980-01-02", country="SE")
    ref = customer["reference"]
    check(pos.get("/api/v1/customers", params={"q": "Schema"}), "get", "/api/v1/customers")
    check(pos.get(f"/api/v1/customers/{ref}"), "get", "/api/v1/customers/{reference}")
    check(pos.patch(f"/api/v1/customers/{ref}", {"city": "Lund"}), "patch", "/api/v1/customers/{reference}")
    check(pos.post(f"/api/v1/customers/{ref}/consents", {"purpose": "marketing"}), "post",
          "/api/v1/customers/{reference}/consents")
    check(pos.post(f"/api/v1/customers/{ref}/memberships", {"plan": "Friend", "starts_on": "2026-01-01"}), "post",
          "/api/v1/customers/{reference}/memberships")
    check(pos.get(f"/api/v1/customers/{ref}/memberships"), "get", "/api/v1/customers/{reference}/memberships")

    sale = till.pos.post("/api/v1/sales", {"register": till.name, "lines": [{"product": "Shoe", "unit_price": "10"}]})
    check(sale, "post", "/api/v1/sales")
    sale_ref = sale.json()["reference"]
    check(till.pos.post(f"/api/v1/sales/{sale_ref}/lines", [{"product": "Sock", "brand": "B", "variant": "39"}]),
          "post", "/api/v1/sales/{reference}/lines")
    check(till.pos.put(f"/api/v1/sales/{sale_ref}/customer", {"customer": ref}), "put",
          "/api/v1/sales/{reference}/customer")
    check(till.pos.get(f"/api/v1/sales/{sale_ref}/connections"), "get", "/api/v1/sales/{reference}/connections")
    check(till.pos.get(f"/api/v1/sales/{sale_ref}"), "get", "/api/v1/sales/{reference}")
    check(till.pos.post(f"/api/v1/sales/{sale_ref}/close"), "post", "/api/v1/sales/{reference}/close")
    check(till.pos.get("/api/v1/sales", params={"register": till.name}), "get", "/api/v1/sales")
    check(pos.get(f"/api/v1/customers/{ref}/sales"), "get", "/api/v1/customers/{reference}/sales")

    group = pos.post("/api/v1/groups", {"name": f"Schema {uuid.uuid4().hex[:6]}",
                                        "criteria": {"match": "all", "rules": [{"field": "tag", "op": "has",
                                                                                "value": "news"}]}})
    check(group, "post", "/api/v1/groups")
    gid = group.json()["id"]
    check(pos.get("/api/v1/groups"), "get", "/api/v1/groups")
    check(pos.get(f"/api/v1/groups/{gid}"), "get", "/api/v1/groups/{group_id}")
    check(pos.get("/api/v1/groups/criteria-fields"), "get", "/api/v1/groups/criteria-fields")
    check(pos.post("/api/v1/groups/preview", {"criteria": {"match": "all", "rules": [{"field": "tag", "op": "has", "value": "news"}]}}), "post",
          "/api/v1/groups/preview")
    check(pos.get(f"/api/v1/groups/{gid}/members"), "get", "/api/v1/groups/{group_id}/members")
    check(pos.post(f"/api/v1/groups/{gid}/move", {"direction": "down"}), "post", "/api/v1/groups/{group_id}/move")

    check(pos.get("/api/v1/registers"), "get", "/api/v1/registers")
    check(pos.post("/api/v1/registers", {"name": f"R{uuid.uuid4().hex[:6]}"}), "post", "/api/v1/registers")
    paired = pos.post("/api/v1/kiosks", {"register": till.name, "name": "Schema kiosk"})
    check(paired, "post", "/api/v1/kiosks")
    check(pos.get("/api/v1/kiosks"), "get", "/api/v1/kiosks")
    check(pos.delete(f"/api/v1/kiosks/{paired.json()['id']}/lockout"), "delete", "/api/v1/kiosks/{kiosk_id}/lockout")
    check(pos.patch(f"/api/v1/kiosks/{paired.json()['id']}", {"mode": "connect"}), "patch", "/api/v1/kiosks/{kiosk_id}")
    check(pos.post(f"/api/v1/kiosks/{paired.json()['id']}/revoke"), "post", "/api/v1/kiosks/{kiosk_id}/revoke")
    check(pos.get("/api/v1/audit-events", params={"customer": ref}), "get", "/api/v1/audit-events")
    check(pos.get(f"/api/v1/customers/{ref}/export"), "get", "/api/v1/customers/{reference}/export")
    check(requests.get(backoffice.base_url + "/healthz", timeout=30), "get", "/healthz")
    check(pos.post(f"/api/v1/customers/{ref}/erase"), "post", "/api/v1/customers/{reference}/erase")


def test_real_answers_of_kiosk_and_console_routes_match_the_schema(backoffice, spec, till, make_customer, new_phone):
    check = lambda response, method, template: _check(spec, response, method, template)  # noqa: E731
    key = {"Idempotency-Key": str(uuid.uuid4())}
    customer = make_customer(first_name="Kiosk", last_name="Schema")
    sale = till.open_sale()
    check(till.kiosk.get("/api/v1/kiosk/state"), "get", "/api/v1/kiosk/state")
    found = till.kiosk.post("/api/v1/identify", {"method": "enter", "kind": "customer_number",
                                                 "customer_number": str(customer["customer_number"])}, headers=key)
    check(found, "post", "/api/v1/identify")
    registration = till.kiosk.post("/api/v1/kiosk/registrations", {"source": "enter", "first_name": "Ny",
                                                                     "phone": new_phone()},
                                   headers={"Idempotency-Key": str(uuid.uuid4())})
    check(registration, "post", "/api/v1/kiosk/registrations")
    reg_ref = registration.json()["reference"]
    check(till.kiosk.get(f"/api/v1/kiosk/registrations/{reg_ref}"), "get", "/api/v1/kiosk/registrations/{reference}")
    check(till.pos.get("/api/v1/registrations", params={"register": till.name}), "get", "/api/v1/registrations")
    check(till.pos.get(f"/api/v1/registrations/{reg_ref}"), "get", "/api/v1/registrations/{reference}")
    check(till.pos.post(f"/api/v1/registrations/{reg_ref}/confirm"), "post", "/api/v1/registrations/{reference}/confirm")
    mobile = till.kiosk.post("/api/v1/mobile-sessions", {"language": "sv"}, headers={"Idempotency-Key": str(uuid.uuid4())})
    check(mobile, "post", "/api/v1/mobile-sessions")
    check(till.kiosk.get(f"/api/v1/mobile-sessions/{mobile.json()['reference']}"), "get",
          "/api/v1/mobile-sessions/{reference}")

    cashier = new_staff(backoffice, "cashier")
    rid = register_id(backoffice, till.name)
    check(cashier.api("POST", f"/api/v1/console/{rid}/scan", {"text": str(customer["customer_number"])}), "post",
          "/api/v1/console/{register_id}/scan")
    check(cashier.api("POST", f"/api/v1/console/{rid}/customers", {"first_name": "Kassa", "last_name": "Ny",
                                                                   "phone": new_phone()}),
          "post", "/api/v1/console/{register_id}/customers")
    check(till.pos.delete(f"/api/v1/sales/{sale['reference']}/customer"), "delete", "/api/v1/sales/{reference}/customer")
