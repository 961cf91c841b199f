"""Coverage-guided fuzzing (atheris) of the parsers behind search, identify, the console's scan and the forms."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from backoffice.services import customer_list
from tests.support.server import REPO

pytest.importorskip("atheris")
SECONDS = int(os.environ.get("ATHERIS_SECONDS", "15"))


def test_the_input_parsers_never_fail_on_arbitrary_text(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tests.backoffice.fuzz.input_parsers", f"-max_total_time={SECONDS}", "-seed=7",
         f"-artifact_prefix={tmp_path}/", "-max_len=400"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_cursor_holding_a_number_no_column_can_hold_starts_from_the_first_page(backoffice):
    cursor = customer_list.encode_cursor(0, [10**30])
    assert customer_list.decode_cursor(cursor, [customer_list.Stream("customer_number", True)]) is None
    with backoffice.runtime.read_sessions() as db:
        page = customer_list.list_page(db, backoffice.runtime.vault, after=cursor, size=2)
    assert page.prev_cursor is None
