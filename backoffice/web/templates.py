"""The Jinja2 environment shared by every page."""

from fastapi.templating import Jinja2Templates

from . import TEMPLATE_DIR
from .i18n import translator

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
# ``_("Text {name}", name=...)`` in English where a page's context brings no translator of its own.
templates.env.globals.setdefault("_", translator("en"))
