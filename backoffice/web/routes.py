"""Every page router, mounted by the app in one call."""

from fastapi import APIRouter

from . import mobile

router = APIRouter()
router.include_router(mobile.router)
