"""The package's public surface and its promise to stay pure Python."""

import subprocess
import sys

import counter_core.identity


def test_the_public_api_is_re_exported_from_the_package():
    for name in ("parse_payload", "classify_typed_input", "Identity", "Address", "TypedInput", "normalize_phone"):
        assert name in counter_core.identity.__all__
        assert hasattr(counter_core.identity, name)


def test_importing_identity_never_pulls_in_kivy_opencv_or_requests():
    code = (
        "import sys, counter_core.identity\n"
        "counter_core.identity.parse_payload('MECARD:N:Owen,Sean;;'); counter_core.identity.classify_typed_input('0701234567')\n"
        "bad = [m for m in ('kivy', 'cv2', 'requests') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
