"""``kiosk-decode``: still images and typed payloads, as the read-rate measurements run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from kiosk.camera import synthetic

P = synthetic.SAMPLE_PAYLOADS


def kiosk_decode(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("kiosk-decode")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kiosk.camera.cli"]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, text=True, timeout=120)


def expected_identity(text: str, symbology: str | None):
    """What the contract says each code carries: parse_payload(...).to_dict(), when identity has it."""
    try:
        from counter_core.identity import parse_payload
    except ImportError:
        return None
    return json.loads(json.dumps(parse_payload(text, symbology=symbology).to_dict(), ensure_ascii=False))


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("stills")
    shots = {
        "card": synthetic.make_frame([P["card_url"]], seed=1, code_px=150, degradations={"noise": 3, "jpeg": 80}),
        "licence": synthetic.make_frame([P["aamva"]], seed=5, code_px=175 * 2.6, carrier="paper", degradations={"noise": 2, "jpeg": 90}),
        "two": synthetic.make_frame([P["vcard"], P["ean_card"]], seed=0, code_px=[57 * 3, 113 * 2.2], carrier="paper", degradations={"noise": 2}),
        "small": synthetic.make_frame([P["card_url"]], seed=0, code_px=37 * 1.3, scene="room", degradations={"noise": 2, "jpeg": 85}),
        "empty": synthetic.empty_frame(seed=4),
    }
    paths = {}
    for name, shot in shots.items():
        paths[name] = folder / f"{name}.png"
        cv2.imwrite(str(paths[name]), shot.image)
    paths["broken"] = folder / "broken.png"
    paths["broken"].write_bytes(b"\x89PNG but not really")
    return paths


def test_json_gives_one_line_per_image_with_codes_and_identities(images):
    names = ["card", "licence", "two", "small", "empty"]
    result = kiosk_decode("--json", *(str(images[n]) for n in names))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(images[n]) for n in names]
    by_name = dict(zip(names, lines, strict=True))
    assert [(c["format"], c["text"]) for c in by_name["card"]["codes"]] == [("QRCode", P["card_url"][0])]
    assert [(c["format"], c["text"]) for c in by_name["licence"]["codes"]] == [("PDF417", P["aamva"][0])]
    assert sorted((c["format"], c["text"]) for c in by_name["two"]["codes"]) == sorted([("QRCode", P["vcard"][0]), ("EAN13", P["ean_card"][0])])
    assert [c["text"] for c in by_name["small"]["codes"]] == [P["card_url"][0]]  # the still path tries hard
    assert by_name["empty"]["codes"] == []
    for line in lines:
        assert isinstance(line["ms"], float)
        for code in line["codes"]:
            assert code["identity"] == expected_identity(code["text"], code["format"])
            assert len(code["position"]) == 4


def test_licence_control_characters_survive_into_the_json(images):
    line = json.loads(kiosk_decode("--json", str(images["licence"])).stdout)
    text = line["codes"][0]["text"]
    assert text.startswith("@\n\x1e\rANSI ")
    identity = line["codes"][0]["identity"]
    if identity is not None:
        assert identity["kind"] == "aamva"


def test_unreadable_image_reports_an_error_and_the_rest_are_still_decoded(images, tmp_path):
    missing = tmp_path / "missing.jpg"
    result = kiosk_decode("--json", str(images["broken"]), str(missing), str(images["card"]))
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(images["broken"]), str(missing), str(images["card"])]
    assert "error" in lines[0] and "error" in lines[1]
    assert [c["text"] for c in lines[2]["codes"]] == [P["card_url"][0]]


def test_code_saved_with_a_transparent_background_is_read(tmp_path):
    import numpy as np

    dark = synthetic.render_symbol("MEMBER-7KQ2M9XD", "QRCode", 6) < 128
    rgba = np.zeros((*dark.shape, 4), np.uint8)
    rgba[..., 3] = np.where(dark, 255, 0)  # black modules, everything else transparent
    path = tmp_path / "transparent.png"
    cv2.imwrite(str(path), rgba)
    line = json.loads(kiosk_decode("--json", str(path)).stdout)
    assert [c["text"] for c in line["codes"]] == ["MEMBER-7KQ2M9XD"]


def test_human_readable_output_has_a_line_per_code(images):
    result = kiosk_decode(str(images["two"]), str(images["empty"]))
    assert result.returncode == 0
    out = result.stdout.splitlines()
    assert len(out) == 3
    assert any("EAN13" in line and P["ean_card"][0] in line for line in out)
    assert any("QRCode" in line and "BEGIN:VCARD" in line for line in out)
    assert "no code found" in out[2]


def test_text_payload_is_parsed_like_a_scanned_code():
    result = kiosk_decode("--json", "--text", "MEMBER-7KQ2M9XD")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["path"] is None
    assert line["codes"] == [{"format": "text", "text": "MEMBER-7KQ2M9XD", "identity": expected_identity("MEMBER-7KQ2M9XD", None)}]


def test_text_payload_from_stdin_keeps_its_line_breaks():
    vcard = P["vcard"][0]
    line = json.loads(kiosk_decode("--json", "--text", "-", stdin=vcard + "\n").stdout)
    assert line["path"] == "-"
    assert line["codes"][0]["text"] == vcard
    assert line["codes"][0]["identity"] == expected_identity(vcard, None)


def test_without_arguments_it_explains_its_usage():
    result = kiosk_decode()
    assert result.returncode == 2
    assert "IMAGE" in result.stderr


def test_json_says_which_stage_of_the_cascade_read_each_image(images):
    lines = [json.loads(line) for line in kiosk_decode("--json", str(images["card"]), str(images["empty"])).stdout.splitlines()]
    card, empty = lines
    assert card["stage"] == 1 and card["codes"][0]["stage"] == 1 and card["codes"][0]["strategy"] == "zxing"
    assert set(card["stage_ms"]) == {"1"}  # read by stage 1: the later stages never ran
    assert empty["stage"] is None and set(empty["stage_ms"]) == {"1", "2", "3"}


def test_stages_option_limits_the_cascade_and_bad_values_are_refused(images):
    line = json.loads(kiosk_decode("--json", "--stages", "1", str(images["empty"])).stdout)
    assert set(line["stage_ms"]) == {"1"}
    bad = kiosk_decode("--stages", "1,4", str(images["empty"]))
    assert bad.returncode == 2 and "--stages" in bad.stderr
