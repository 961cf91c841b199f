"""Via mobile: a large QR code for the phone form, a countdown, and the phone's progress."""

from __future__ import annotations

import io

import segno
from kivy.core.image import Image as CoreImage
from kivy.properties import NumericProperty, ObjectProperty, StringProperty

from .base import KioskScreen


def qr_texture(url: str):
    """The URL as a crisp QR code texture (segno, nearest-neighbour scaling)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=12, border=3)
    buffer.seek(0)
    texture = CoreImage(buffer, ext="png").texture
    texture.mag_filter = "nearest"
    return texture


class MobileScreen(KioskScreen):
    status = StringProperty("")
    seconds_left = NumericProperty(0)
    qr = ObjectProperty(None, allownone=True)
    _url = ""

    def render(self, state) -> None:
        visit = state.visit
        self.status = visit.mobile_status
        if visit.mobile_url != self._url:
            self._url = visit.mobile_url
            self.qr = qr_texture(visit.mobile_url) if visit.mobile_url else None

    def countdown(self, seconds: float) -> None:
        self.seconds_left = seconds

    def clear(self) -> None:
        self._url = ""
        self.qr = None
        self.status = ""
