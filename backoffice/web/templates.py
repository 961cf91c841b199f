"""The Jinja2 environment shared by every page."""

from fastapi.templating import Jinja2Templates

from . import TEMPLATE_DIR

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
