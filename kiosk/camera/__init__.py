"""Frames to scan events: sources, capture thread, decoder, scanner (no Kivy)."""

from .capture import CaptureThread
from .decoder import KIOSK_FORMATS, Decoder, DecodeReport, format_name, stage_of, zbar_format_name
from .events import CameraState, CameraStatus, DecodedCode, FailureReason, Frame, ScanEvent
from .scanner import Scanner
from .sources import (
    FileSource,
    FrameSource,
    ImageSource,
    Picamera2Source,
    SourceError,
    V4L2Source,
    make_source,
    picamera2_available,
)

__all__ = [
    "KIOSK_FORMATS",
    "CameraState",
    "CameraStatus",
    "CaptureThread",
    "DecodeReport",
    "DecodedCode",
    "Decoder",
    "FailureReason",
    "FileSource",
    "Frame",
    "FrameSource",
    "ImageSource",
    "Picamera2Source",
    "ScanEvent",
    "Scanner",
    "SourceError",
    "V4L2Source",
    "format_name",
    "make_source",
    "picamera2_available",
    "stage_of",
    "zbar_format_name",
]
