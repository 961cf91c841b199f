"""The decoder cascade reads what a cheap camera really sees, each stage doing its own part."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest
import zxingcpp

from kiosk.camera import synthetic, wechat
from kiosk.camera.decoder import KIOSK_FORMATS, Decoder, format_name, stage_of, zbar_format_name

P = synthetic.SAMPLE_PAYLOADS
# Frames of the benchmark's hard set that stages 1 and 2 cannot read and stage 3 can (checked below):
ONLY_WECHAT_DECODER = 186  # WeChat's own decoder reads the crop
ONLY_WECHAT_BOX = 77  # zxing-cpp reads the crop around WeChat's box


def plain_zxing(image: np.ndarray) -> set[str]:
    """What one plain call with zxing-cpp's defaults reads (the baseline)."""
    return {r.text for r in zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)}


def live_read(image: np.ndarray, frames: int = 4, decoder: Decoder | None = None) -> dict[str, str]:
    """Texts read (with the strategy) when the same picture stays in view for a few live frames;
    the stage 3 worker is waited for after each, as a real camera's next frame would come later."""
    decoder = decoder or Decoder()
    found: dict[str, str] = {}
    for _ in range(frames):
        for code in decoder.decode(image):
            found.setdefault(code.text, code.strategy)
        decoder.wait_idle()
    return found


def near(position, corners, tolerance: float) -> bool:
    cx, cy = np.mean(np.array(position), axis=0)
    tx, ty = corners.mean(axis=0)
    return abs(cx - tx) < tolerance and abs(cy - ty) < tolerance


# ---------------------------------------------------------------------------- stage 1


def test_ordinary_code_is_read_by_stage_1_alone():
    frame = synthetic.make_frame([P["card_url"]], seed=1, code_px=150, degradations={"noise": 3, "jpeg": 80})
    decoder = Decoder()
    codes = decoder.decode(frame.image)
    assert [(c.text, c.strategy) for c in codes] == [(P["card_url"][0], "zxing")]
    assert decoder.last_report.stages == [1] and decoder.last_report.stage == 1
    assert not decoder.last_report.wechat_queued
    assert near(codes[0].position, frame.codes[0].corners, tolerance=6)


@pytest.mark.parametrize("carrier", ["card", "phone"])
def test_light_on_dark_qr_code_is_read_by_stage_1s_inverted_pass(carrier):
    frame = synthetic.make_frame([P["card_url"]], seed=3, code_px=37 * 3, carrier=carrier, inverted=True, degradations={"noise": 2, "jpeg": 85})
    assert live_read(frame.image, frames=1) == {P["card_url"][0]: "zxing"}


def test_driving_licence_keeps_its_control_characters():
    text, fmt = P["aamva"]
    frame = synthetic.make_frame([(text, fmt)], seed=5, code_px=175 * 2.6, carrier="paper", degradations={"noise": 2, "jpeg": 90})
    codes = Decoder().decode(frame.image)
    assert [c.format for c in codes] == ["PDF417"]
    assert codes[0].text == text and "\x1e" in codes[0].text and "\r" in codes[0].text


@pytest.mark.parametrize("name", sorted(P))
def test_every_kiosk_code_is_read_with_a_stable_format_name(name):
    text, fmt = P[name]
    modules = synthetic.render_symbol(text, fmt, 1).shape[1]
    frame = synthetic.make_frame([(text, fmt)], seed=11, code_px=min(600, modules * 3), carrier="paper", tilt_deg=5, degradations={"noise": 2})
    codes = Decoder().decode_still(frame.image)
    assert [(c.text, c.format) for c in codes] == [(text, fmt)]
    assert fmt in KIOSK_FORMATS


@pytest.mark.parametrize("seed", [0, 1, 6])
def test_two_codes_in_one_frame_are_both_read_once(seed):
    frame = synthetic.make_frame([P["vcard"], P["ean_card"]], seed=seed, code_px=[57 * 3, 113 * 2.2], carrier="paper", degradations={"noise": 2})
    codes = Decoder().decode_still(frame.image)
    assert sorted(c.text for c in codes) == sorted(frame.texts)


def test_a_payload_that_is_not_utf8_is_read_and_never_crashes_wechat():
    payload = b"\xff\xfe\x00ID:\x81\x82\xc3("  # not UTF-8: WeChat's binding raises on it
    symbol = cv2.copyMakeBorder(synthetic.render_symbol(payload, "QRCode", 6), 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    decoder = Decoder()
    codes = decoder.decode_still(symbol)
    assert [c.text.encode("latin-1") for c in codes] == [payload]
    assert decoder.has_wechat
    with pytest.raises(UnicodeDecodeError):
        decoder._wechat._decoder.detectAndDecode(symbol)  # the binding itself, as documented
    assert decoder._wechat.decode_crop(symbol) == []  # caught: that crop gives nothing
    # stage 3 alone: zxing-cpp on the crop around WeChat's box reads it before WeChat's decoder is asked
    assert [(c.text.encode("latin-1"), c.strategy) for c in decoder.decode_still(symbol, stages=(3,))] == [(payload, "wechat_zxing")]


# ---------------------------------------------------------------------------- stage 2


@pytest.mark.parametrize("seed", range(3))
def test_small_card_far_from_the_camera_is_read_by_stage_2(seed):
    # 1.3 px per module: zxing-cpp wants about two.
    frame = synthetic.make_frame([P["card_url"]], seed=seed, code_px=37 * 1.3, scene="room", degradations={"noise": 2, "jpeg": 85})
    assert P["card_url"][0] not in plain_zxing(frame.image)
    codes = Decoder().decode_still(frame.image, stages=(1, 2))
    assert [c.text for c in codes] == [P["card_url"][0]]
    assert stage_of(codes[0].strategy) == 2
    assert near(codes[0].position, frame.codes[0].corners, tolerance=8)


def test_code_under_lamp_glare_is_read_by_equalisation():
    frame = synthetic.make_frame([P["vcard"]], seed=2, code_px=57 * 2.6, degradations={"glare": 0.85, "noise": 2, "jpeg": 85})
    assert P["vcard"][0] not in plain_zxing(frame.image)
    codes = Decoder().decode_still(frame.image, stages=(1, 2))
    assert [(c.text, c.strategy) for c in codes] == [(P["vcard"][0], "qr_clahe")]


@pytest.mark.parametrize("seed", [0, 1, 4])
def test_barcode_held_at_an_angle_is_turned_upright_by_stage_2(seed):
    frame = synthetic.make_frame([P["card_code"]], seed=seed, code_px=220 * 2.0, carrier="paper", tilt_deg=0, degradations={"noise": 2, "jpeg": 85})
    assert P["card_code"][0] not in plain_zxing(frame.image)
    decoder = Decoder()
    codes = decoder.decode_still(frame.image)
    assert [(c.text, c.strategy) for c in codes] == [(P["card_code"][0], "bar_deskew")]
    assert decoder.last_report.stages == [1, 2]
    assert near(codes[0].position, frame.codes[0].corners, tolerance=25)
    if seed != 0:  # live tries one scale per frame (a still also tries 1.5x, which seed 0 needs)
        assert [c.strategy for c in decoder.decode(frame.image)] == ["bar_deskew"]


# ---------------------------------------------------------------------------- stage 3


@pytest.mark.parametrize(("index", "strategy"), [(ONLY_WECHAT_DECODER, "wechat"), (ONLY_WECHAT_BOX, "wechat_zxing")])
def test_hard_code_only_wechat_reads_is_read_by_stage_3(index, strategy):
    frame = synthetic.hard_set_frame(index)
    decoder = Decoder()
    assert decoder.decode_still(frame.image, stages=(1, 2)) == []
    assert not frame.texts & plain_zxing(frame.image)
    codes = decoder.decode_still(frame.image)
    assert [(c.text, c.strategy) for c in codes] == [(t, strategy) for t in sorted(frame.texts)][:1]
    assert decoder.last_report.stage == 3 and decoder.last_report.stages == [1, 2, 3]
    assert near(codes[0].position, frame.codes[0].corners, tolerance=20)


def test_live_stage_3_runs_in_the_worker_and_its_read_comes_with_a_later_frame():
    frame = synthetic.hard_set_frame(ONLY_WECHAT_BOX)
    decoder = Decoder(wechat_every=2)
    assert decoder.decode(frame.image) == []  # failed frame 1: not handed over (every 2nd)
    assert not decoder.last_report.wechat_queued and 3 not in decoder.last_report.stages
    assert decoder.decode(frame.image) == []  # failed frame 2: handed to the worker, not run here
    assert decoder.last_report.wechat_queued and 3 not in decoder.last_report.stages
    assert decoder.wait_idle()
    codes = decoder.decode(frame.image)
    assert [(c.text, c.strategy) for c in codes] == [(next(iter(frame.texts)), "wechat_zxing")]
    assert decoder.last_report.late == 1
    decoder.close()


def test_wechat_boxes_below_the_score_gate_are_never_decoded(monkeypatch):
    frame = synthetic.hard_set_frame(ONLY_WECHAT_DECODER)
    decoder = Decoder(min_score=1.01)  # no box can pass
    crops = []
    monkeypatch.setattr(decoder._wechat, "decode_crop", lambda crop: crops.append(crop) or [])
    assert decoder.decode_still(frame.image) == []
    assert crops == []


# ---------------------------------------------------------------------------- no code


def test_counter_without_a_code_costs_stage_1_and_the_edge_test_and_never_wechat_inline(monkeypatch):
    frame = synthetic.empty_frame(seed=1, scene="hand")
    decoder = Decoder(wechat_every=3)
    detected = []
    real = decoder._wechat.detect
    monkeypatch.setattr(decoder._wechat, "detect", lambda gray: detected.append(gray.shape) or real(gray))
    decoded = []
    monkeypatch.setattr(decoder._wechat, "decode_crop", lambda crop: decoded.append(crop) or [])
    queued = []
    for _ in range(6):
        assert decoder.decode(frame.image) == []
        assert 3 not in decoder.last_report.stages and not decoder.last_report.evidence
        queued.append(decoder.last_report.wechat_queued)
        decoder.wait_idle()
    assert queued == [False, False, True, False, False, True]  # at most every third failed frame
    assert detected == [(480, 640), (480, 640)] and decoded == []  # the network ran, nothing scored: no decode


def test_grayscale_frames_are_accepted_and_other_depths_refused():
    frame = synthetic.make_frame([P["card_url"]], seed=1, code_px=120)
    gray = frame.image.mean(axis=2).astype(np.uint8)
    assert [c.text for c in Decoder().decode(gray)] == [P["card_url"][0]]
    with pytest.raises(ValueError, match="8-bit"):
        Decoder().decode(gray.astype(np.float32))
    with pytest.raises(ValueError, match="empty"):
        Decoder().decode(np.zeros((0, 0), np.uint8))


def test_zbar_and_zxing_names_agree():
    assert [zbar_format_name(n) for n in ("QRCODE", "EAN13", "EAN8", "CODE128", "CODE39", "PDF417", "ISBN13")] == [
        "QRCode",
        "EAN13",
        "EAN8",
        "Code128",
        "Code39",
        "PDF417",
        "EAN13",
    ]
    assert format_name(zxingcpp.BarcodeFormat.MicroQRCode) == "MicroQRCode"
    assert format_name(zxingcpp.BarcodeFormat.Code39Ext) == "Code39"


def test_unknown_format_is_refused_early():
    with pytest.raises(ValueError, match="NoSuchCode"):
        Decoder(["QRCode", "NoSuchCode"])


# ---------------------------------------------------------------------------- the models


def test_shipped_models_match_their_checksums_and_an_altered_one_is_refused(tmp_path, caplog):
    paths = wechat.verify_models()
    assert sorted(paths) == sorted(wechat.MODEL_SHA256)
    assert (wechat.models_dir() / "NOTICE.md").read_text().count("Apache") >= 1
    for name, path in paths.items():
        (tmp_path / name).write_bytes(path.read_bytes())
    with (tmp_path / "sr.caffemodel").open("ab") as f:
        f.write(b"\0")
    with pytest.raises(wechat.ModelError, match="sr.caffemodel has SHA-256"):
        wechat.WeChatQR(tmp_path)
    (tmp_path / "detect.prototxt").unlink()
    with pytest.raises(wechat.ModelError, match="cannot be read"):
        wechat.verify_models(tmp_path)


def test_decoder_without_usable_models_still_runs_stages_1_and_2(monkeypatch, caplog):
    monkeypatch.setattr(wechat, "models_dir", lambda: wechat.Path("/nonexistent"))
    with caplog.at_level(logging.WARNING):
        decoder = Decoder()
    assert not decoder.has_wechat and "stage 3" in caplog.text
    frame = synthetic.make_frame([P["card_url"]], seed=1, code_px=150)
    assert [c.text for c in decoder.decode_still(frame.image)] == [P["card_url"][0]]
    assert 3 not in decoder.last_report.stages


def _degraded_licence(seed: int) -> synthetic.SyntheticFrame:
    """A licence PDF417 held up with blur, or with heavy noise and JPEG (odd seeds)."""
    rng = np.random.default_rng(seed)
    if seed % 2:
        degradations = {"noise": float(rng.uniform(6, 12)), "jpeg": float(rng.integers(30, 60))}
    else:
        degradations = {"noise": 2.5, "jpeg": 72, "blur": float(rng.uniform(0.9, 1.3))}
    return synthetic.make_frame([P["aamva"]], seed=seed, code_px=175 * float(rng.uniform(1.4, 2.6)), degradations=degradations)


@pytest.mark.parametrize("seed", [18, 90, 93])
def test_garbled_licence_is_not_reported(seed):
    frame = _degraded_licence(seed)
    texts = {c.text for c in Decoder().decode_still(frame.image)}
    assert texts <= frame.texts


def test_a_live_stage_3_read_of_a_frame_too_long_ago_is_dropped():
    frame = synthetic.hard_set_frame(ONLY_WECHAT_BOX)
    decoder = Decoder(wechat_every=1, late_seconds=0.0)  # every read is stale by the next frame
    assert decoder.decode(frame.image) == [] and decoder.last_report.wechat_queued
    assert decoder.wait_idle()
    assert decoder.decode(synthetic.empty_frame(seed=3).image) == []
    assert decoder.last_report.late == 0
    decoder.close()
