#!/usr/bin/env python3
"""Collect the customer screen's messages into kiosk/locale/kiosk.pot and update every kiosk.po.

Messages are the English text passed to tr()/app.tr() (in .py and .kv files)
or marked with N_().  New messages appear untranslated in each catalogue;
translators fill them in; nothing else needs to change to add a language:
copy kiosk.pot to kiosk/locale/<code>/LC_MESSAGES/kiosk.po and translate it.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
KIOSK = ROOT / "kiosk"
KV_CALL = re.compile(r"""\btr\(\s*(["'])((?:\\.|(?!\1).)*)\1""")
CALLS = {"tr", "N_"}


def python_messages(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args:
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0]
            if name in CALLS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append(first.value)
    return found


def kv_messages(path: Path) -> list[str]:
    return [ast.literal_eval(m.group(1) + m.group(2) + m.group(1)) for m in KV_CALL.finditer(path.read_text())]


def main() -> int:
    messages: dict[str, None] = {"language_name": None}
    for path in sorted(KIOSK.rglob("*.py")):
        if "identity" in path.parts or "camera" in path.parts:
            continue
        messages.update(dict.fromkeys(python_messages(path)))
    for path in sorted(KIOSK.rglob("*.kv")):
        messages.update(dict.fromkeys(kv_messages(path)))
    template = Catalog(project="counter-kiosk", domain="kiosk")
    for message in messages:
        template.add(message)
    with open(KIOSK / "locale" / "kiosk.pot", "wb") as handle:
        write_po(handle, template, width=120, omit_header=True, sort_output=True)
    for po in sorted((KIOSK / "locale").glob("*/LC_MESSAGES/kiosk.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        catalog.update(template, no_fuzzy_matching=True)
        with po.open("wb") as handle:
            write_po(handle, catalog, width=120, omit_header=True, sort_output=True, ignore_obsolete=True)
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{po.relative_to(ROOT)}: {len(catalog)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
