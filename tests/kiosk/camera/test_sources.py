"""Frame sources: the config string picks the right one, and failures say why."""

from __future__ import annotations

import time

import numpy as np
import pytest

from kiosk.camera import synthetic
from kiosk.camera.events import FailureReason
from kiosk.camera.sources import (
    FileSource,
    ImageSource,
    Picamera2Source,
    SourceError,
    V4L2Source,
    make_source,
    picamera2_available,
)


@pytest.fixture(scope="module")
def short_video(tmp_path_factory) -> str:
    """Ten numbered frames at 20 fps: frame i is filled with grey level 20*i+10."""
    path = tmp_path_factory.mktemp("video") / "ten.avi"
    frames = [np.full((48, 64, 3), 20 * i + 10, np.uint8) for i in range(10)]
    synthetic.write_video(frames, path, fps=20.0)
    return str(path)


@pytest.mark.parametrize(
    ("spec", "device"),
    [(0, 0), ("0", 0), ("2", 2), ("/dev/video0", "/dev/video0"), ("v4l2:/dev/video1", "/dev/video1"), ("v4l2:3", 3)],
)
def test_config_names_a_usb_camera_by_number_or_device_path(spec, device):
    source = make_source(spec, width=1280, height=720, fps=15, fourcc="MJPG")
    assert isinstance(source, V4L2Source)
    assert source.device == device
    assert (source.width, source.height, source.fps, source.fourcc) == (1280, 720, 15.0, "MJPG")


@pytest.mark.parametrize("spec", ["file:clips/demo.mp4", "clips/demo.mp4", "assets/demo/camera-demo.avi", "x.MKV"])
def test_config_names_a_video_file_with_file_prefix_or_video_extension(spec):
    # width and fps are the camera's options; a recording ignores them and plays at its own frame rate
    # (a kiosk configured for a 30 fps camera once played a 10 fps test video three times too fast)
    source = make_source(spec, fps=12, width=640)
    assert isinstance(source, FileSource)
    assert source.fps_override is None


@pytest.mark.parametrize("spec", ["image:card.png", "card.jpg"])
def test_config_names_a_still_image(spec):
    assert isinstance(make_source(spec), ImageSource)


def test_unknown_camera_spec_is_refused_with_the_accepted_forms():
    with pytest.raises(ValueError, match="device number"):
        make_source("webcam-please")


@pytest.mark.skipif(picamera2_available(), reason="picamera2 is installed here")
def test_pi_camera_without_picamera2_says_how_to_install_it():
    with pytest.raises(SourceError, match="apt install python3-picamera2") as err:
        make_source("picamera2")
    assert err.value.reason is FailureReason.UNAVAILABLE
    with pytest.raises(SourceError) as err:
        Picamera2Source().open()
    assert err.value.reason is FailureReason.UNAVAILABLE


def test_missing_usb_camera_is_reported_as_no_device():
    with pytest.raises(SourceError) as err:
        V4L2Source("/dev/video-not-plugged-in").open()
    assert err.value.reason is FailureReason.NO_DEVICE


def test_camera_without_permission_is_reported_as_permission(monkeypatch, tmp_path):
    node = tmp_path / "video0"
    node.write_bytes(b"")
    # Tests may run as root, who can read anything; make the permission check say no.
    monkeypatch.setattr("kiosk.camera.sources.os.access", lambda *a, **k: False)
    with pytest.raises(SourceError, match="video' group") as err:
        V4L2Source(str(node)).open()
    assert err.value.reason is FailureReason.PERMISSION


def test_video_file_loops_like_a_camera(short_video):
    source = FileSource(short_video, realtime=False)
    source.open()
    try:
        levels = [int(source.read().mean() + 0.5) for _ in range(25)]
    finally:
        source.close()
    assert len(levels) == 25  # more frames than the file holds
    assert levels[0] == pytest.approx(10, abs=3) and levels[10] == pytest.approx(10, abs=3)


def test_video_file_announces_its_own_frame_rate_or_the_one_asked_for(short_video):
    paced = FileSource(short_video)
    paced.open()
    fast = FileSource(short_video, fps=50)
    fast.open()
    flat_out = FileSource(short_video, realtime=False)
    flat_out.open()
    try:
        assert paced.frame_interval == pytest.approx(1 / 20)
        assert fast.frame_interval == pytest.approx(1 / 50)
        assert flat_out.frame_interval is None
    finally:
        for s in (paced, fast, flat_out):
            s.close()


def test_video_file_that_ends_without_loop_fails_like_an_unplugged_camera(short_video):
    source = FileSource(short_video, realtime=False, loop=False)
    source.open()
    for _ in range(10):
        source.read()
    with pytest.raises(SourceError) as err:
        source.read()
    assert err.value.reason is FailureReason.READ_ERROR


def test_missing_video_file_is_reported_as_no_device(tmp_path):
    with pytest.raises(SourceError) as err:
        FileSource(tmp_path / "gone.avi").open()
    assert err.value.reason is FailureReason.NO_DEVICE


def test_still_image_is_repeated_and_never_shared(tmp_path):
    import cv2

    path = tmp_path / "card.png"
    cv2.imwrite(str(path), np.full((30, 40, 3), 77, np.uint8))
    source = make_source(f"image:{path}", fps=5)
    source.open()
    a, b = source.read(), source.read()
    source.close()
    assert a.shape == (30, 40, 3) and np.array_equal(a, b) and a is not b
    assert source.repeats_frames and source.frame_interval == pytest.approx(0.2)


def test_unreadable_image_is_reported_as_open_error(tmp_path):
    path = tmp_path / "card.png"
    path.write_text("not a picture")
    t = time.monotonic()
    with pytest.raises(SourceError) as err:
        ImageSource(path).open()
    assert err.value.reason is FailureReason.OPEN_ERROR and time.monotonic() - t < 5
