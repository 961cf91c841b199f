"""Atheris target: the backoffice's parsers of what people and scanners type, fed arbitrary text.

Run by tests/backoffice/test_input_parsers_fuzzed.py in a subprocess (atheris
exits the process when it is done).  A refusal (a domain error) is the right answer
to bad input; any other exception is a bug: atheris stops and prints the input.

    python -m tests.backoffice.fuzz.input_parsers -runs=20000
"""

from __future__ import annotations

import sys

import atheris

# Only our own code is instrumented: phonenumbers' metadata alone takes most of a minute.
with atheris.instrument_imports(include=["backoffice", "kiosk"]):
    from backoffice.domain_errors import DomainError
    from backoffice.security import Vault
    from backoffice.services import customer_list, customers, matching
    from counter_core.identity import parse_payload

VAULT = Vault("atheris-fuzz-secret-key-0123456789abcdef")
STREAMS = customer_list.name_streams("a") + [customer_list.Stream("customer_number", True)]
FIELDS = ("first_name", "last_name", "phone", "email", "personal_id", "birth_date", "street", "postal_code", "city",
          "country", "notes", "labels")


def one_input(data: bytes) -> None:
    given = atheris.FuzzedDataProvider(data)
    text = given.ConsumeUnicodeNoSurrogates(200)
    # The customer list's cursor (from the URL) and search box.
    customer_list.decode_cursor(text, STREAMS)
    exact = customers._exact_identifier(customers.search_text(text))
    if exact:
        customers._identifier_value(VAULT, *exact)
    # Identify: every identifier kind the kiosk may send.
    for kind in matching.IDENTIFIER_KINDS:
        try:
            matching.canonical_identifier(kind, text, "SE")
        except DomainError:
            pass
    # A scanner's payload at the console, and the fields it fills in.
    identity = parse_payload(text)
    try:
        matching.card_fields(identity.to_dict())
    except DomainError:
        pass
    # The customer form, every field from the same text.
    try:
        customers.clean_fields({name: given.ConsumeUnicodeNoSurrogates(60) or text for name in FIELDS})
    except DomainError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
