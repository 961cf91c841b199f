"""Every text a staff page can show, gathered from the code, so that no English is left on a Swedish page.

Sources: ``_()`` (and ``tr(request, ...)``) in the templates, in ``backoffice/web`` and in the e-mails (``services/mail.py``), ``N_()`` marks in
``backoffice/web`` (tables of texts translated when shown), ``t()`` in the
pages' scripts, and the English messages of the services' refusals
(the domain errors of ``backoffice.domain_errors``, field problems), which pages translate at the edge.

``python -m backoffice.web.messages`` lists the texts a catalogue lacks, as
.po entries to append and translate.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache

import jinja2.ext
from babel.messages.extract import extract_from_file

from . import LOCALE_DIR, PACKAGE_DIR, STATIC_DIR, TEMPLATE_DIR
from .i18n import _catalogue, languages

KEYWORDS = {"_": None, "N_": None, "tr": (2,)}
SCRIPT_CALL = re.compile(r"""\bt\(\s*(["'`])((?:\\.|(?!\1).)+)\1""")
# the refusals whose English message reaches a page: ApiError(status, code, message), a domain error
# (code, message), Invalid.of_field(field, code, message), problems (field, code, message)
DOMAIN_ERRORS = ("NotFound", "Conflict", "Invalid", "MalformedRequest", "NotSignedIn", "Forbidden", "RateLimited",
                 "Locked", "Gone", "Failed", "DomainError")
REFUSALS = {"ApiError": 2, "FieldProblem": 2, "InvalidIdentifier": 1, "problem": 2, "of_field": 2,
            **dict.fromkeys(DOMAIN_ERRORS, 1)}
# texts a page picks at run time: role names, refusals whose message is picked from a table
CHOSEN_AT_RUN_TIME = ("cashier", "manager", "Another customer already has this phone number.",
                      "Another customer already has this personal ID number.")
SCRIPTS = ("console.js", "connect.js", "groups.js", "pairing.js")
ERROR_PAGE_DEFAULTS = ("That did not work", "The request was refused.")


def template_messages() -> set[str]:
    found: set[str] = set()
    for path in sorted(TEMPLATE_DIR.rglob("*.html")):
        for _line, message, _comments, _context in extract_from_file(jinja2.ext.babel_extract, str(path),
                                                                      keywords=KEYWORDS):
            if isinstance(message, str):
                found.add(message)
    return found


def python_messages() -> set[str]:
    found: set[str] = set()
    for path in sorted((PACKAGE_DIR / "web").glob("*.py")) + [PACKAGE_DIR / "services" / "mail.py"]:
        for _line, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            if isinstance(message, str):
                found.add(message)
    return found


@cache
def script_messages(name: str) -> tuple[str, ...]:
    """The ``t("...")`` texts of one page script, in order of appearance."""
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments may show how t() is called
    text = re.sub(r"(?m)^\s*//.*$", "", text)
    seen: dict[str, None] = {}
    for match in SCRIPT_CALL.finditer(text):
        seen.setdefault(match.group(2).replace('\\"', '"').replace("\\'", "'"), None)
    return tuple(seen)


@cache
def refusal_messages() -> frozenset[str]:
    """The literal English messages of refusals raised anywhere in the backoffice and the shared identity code."""
    found: set[str] = set()
    roots = [PACKAGE_DIR, PACKAGE_DIR.parent / "counter_core" / "identity"]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                position = REFUSALS.get(name)
                if position is None or len(node.args) <= position:
                    continue
                argument = node.args[position]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found.add(argument.value)
    return frozenset(found)


def error_page_messages() -> set[str]:
    """The error pages' titles and texts (``web.errors``), translated by ``render.page``."""
    from .errors import FRIENDLY

    return {text for pair in FRIENDLY.values() for text in pair} | set(ERROR_PAGE_DEFAULTS)


def audit_actions() -> set[str]:
    """What the audit log can say was done ("customer viewed"): every ``audit.record(db, actor, "action", ...)``."""
    found: set[str] = set()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record" and len(node.args) >= 3
                    and isinstance(node.args[2], ast.Constant) and isinstance(node.args[2].value, str)):
                found.add(node.args[2].value.replace("_", " "))
    from ..services.audit import COMMON_ACTIONS

    return found | {action.replace("_", " ") for action in COMMON_ACTIONS}


def audit_details() -> set[str]:
    """The names of the details the audit log shows ("sale", "created by"): ``audit.record``'s keyword arguments."""
    found: set[str] = set()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record":
                found.update(k.arg.replace("_", " ") for k in node.keywords if k.arg)
    return found


def other_messages() -> set[str]:
    """Texts defined outside the web layer that pages translate: criteria words, CSV titles, prompts, run-time
    choices."""
    from ..services import prompts, verify
    from ..services.criteria import DESCRIBE_TEXTS
    from ..services.customer_list import SORTS
    from ..services.export import HEADER

    prompt_texts = ({label for label, _icon in prompts.PRESENTED.values()} | set(prompts.TYPED.values())
                    | set(prompts.IDENTIFIER_LABELS.values()) | {prompts.PHONE_FORM} | set(verify.PRESENTED_LABELS.values()))
    return (set(DESCRIBE_TEXTS) | set(HEADER) | {sort.label for sort in SORTS.values()} | set(CHOSEN_AT_RUN_TIME)
            | audit_actions() | audit_details() | prompt_texts)


def all_messages() -> set[str]:
    scripts = {m for name in SCRIPTS if (STATIC_DIR / name).exists() for m in script_messages(name)}
    return (template_messages() | python_messages() | scripts | refusal_messages() | error_page_messages()
            | other_messages())


def missing(language: str) -> list[str]:
    """The texts the language's catalogue has no translation for (English needs none: it is the msgid)."""
    table = _catalogue(language)
    return sorted(m for m in all_messages() if m not in table)


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> int:
    for language in languages():
        if language == "en":
            continue
        lacking = missing(language)
        print(f"# {language}: {len(lacking)} missing ({LOCALE_DIR / language / 'LC_MESSAGES' / 'backoffice.po'})")
        for message in lacking:
            print(f"msgid {_po_string(message)}\nmsgstr \"\"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
