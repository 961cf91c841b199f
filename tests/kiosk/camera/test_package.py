"""The camera package stands on its own: no Kivy, a small public surface."""

from __future__ import annotations

import subprocess
import sys

import kiosk.camera


def test_camera_package_never_imports_kivy():
    code = "import sys, kiosk.camera, kiosk.camera.cli, kiosk.camera.synthetic; print('kivy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_contract_names_are_exported():
    for name in ("make_source", "CaptureThread", "Decoder", "Scanner", "ScanEvent", "CameraState", "DecodedCode", "FrameSource"):
        assert name in kiosk.camera.__all__ and hasattr(kiosk.camera, name)
    assert kiosk.camera.__doc__.startswith("Frames to scan events")
