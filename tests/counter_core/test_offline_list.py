"""The offline list's entry lines: the fast writer gives exactly the canonical JSON both ends check."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from counter_core.offline_list import canonical, card_code_key, customer_number_key, entry_line, entry_text


@given(code=st.text(max_size=40), first_name=st.text(max_size=60), groups=st.lists(st.integers(0, 10**9), max_size=8),
       reference=st.text(max_size=30))
def test_an_entry_written_fast_is_the_canonical_json_of_its_fields(code, first_name, groups, reference):
    assert entry_text(code, first_name, groups, reference).encode() == canonical([code, first_name, groups, reference])
    assert json.loads(entry_line(code, first_name, groups, reference)) == [code, first_name, groups, reference]


def test_keys_name_the_kind_of_code():
    assert customer_number_key(100001) == "n:100001"
    assert card_code_key("demo-00000001") == "c:DEMO-00000001"
