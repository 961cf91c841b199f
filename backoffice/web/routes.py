"""Every page router, mounted by the app in one call."""

from fastapi import APIRouter

from . import (
    admin_audit,
    admin_cards,
    admin_customers,
    admin_devices,
    admin_groups,
    admin_sales,
    admin_scans,
    admin_staff,
    console,
    login,
    mobile,
)

router = APIRouter()
router.include_router(mobile.router)
router.include_router(login.router)
router.include_router(console.router)
for module in (admin_customers, admin_groups, admin_sales, admin_cards, admin_devices, admin_scans, admin_staff,
               admin_audit):
    router.include_router(module.router)
