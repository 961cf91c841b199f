"""The layer picture holds at run time too: what a module really loads when it is imported.

``lint-imports`` (run by ./test.sh before the tests) checks the contracts in pyproject.toml
statically; these tests check what the interpreter actually loads, which also catches an
import hidden inside a function that runs at import time.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

UI_AND_HTTP = ("kivy", "requests", "urllib3", "cv2")


def loaded(module: str, *families: str) -> list[str]:
    code = (f"import sys, json, {module}\n"
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(families)!r}))))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_the_visit_flow_loads_no_kivy_and_no_http_client():
    assert loaded("kiosk.flow", *UI_AND_HTTP) == []


@pytest.mark.parametrize("module", ["counter_core", "counter_core.identity", "counter_core.offline_list",
                                    "counter_core.kiosk_api", "counter_core.config"])
def test_the_shared_core_loads_neither_app_nor_their_libraries(module):
    assert loaded(module, "kiosk", "backoffice", "counter_demo", "fastapi", "sqlalchemy", *UI_AND_HTTP) == []


def test_the_backoffice_loads_nothing_of_the_kiosk():
    assert loaded("backoffice.app", "kiosk", "kivy", "cv2", "counter_demo") == []


def test_the_kiosk_client_and_camera_load_no_ui():
    assert loaded("kiosk.api", "kivy", "backoffice") == []
    assert loaded("kiosk.camera", "kivy", "backoffice", "requests") == []


def test_the_background_services_load_no_ui():
    assert loaded("kiosk.services", "kivy", "backoffice") == []


def test_the_screens_load_no_http_client_and_no_camera():
    assert loaded("kiosk.screens.widgets", "requests", "urllib3", "cv2", "backoffice") == []
