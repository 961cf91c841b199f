"""The capture thread: newest frame only, reopen with back-off, black and frozen pictures caught."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest

from kiosk.camera import synthetic
from kiosk.camera.capture import CaptureThread
from kiosk.camera.events import CameraStatus, FailureReason
from kiosk.camera.sources import FileSource, ImageSource

from .conftest import FakeCamera


def _is(status, reason=None):
    return lambda s: s.status is status and (reason is None or s.reason is reason)


def test_preview_gets_the_newest_frame_not_a_backlog(fake_camera):
    with CaptureThread(fake_camera) as capture:
        first = capture.wait_frame(timeout=2)
        assert first is not None
        time.sleep(0.2)  # a slow reader: ~20 frames arrive meanwhile
        newest = capture.latest()
        following = capture.wait_frame(after_seq=first.seq, timeout=2)
    assert newest.seq >= first.seq + 5  # frames were dropped, not queued
    assert following.seq >= newest.seq  # waiting hands over the newest, never an old one
    assert newest.image.shape == (48, 64, 3) and newest.timestamp > first.timestamp
    image, seq, timestamp = newest  # also unpacks as (frame, sequence number, time)
    assert image is newest.image and seq == newest.seq


def test_camera_reports_starting_then_running(fake_camera, state_log):
    capture = CaptureThread(fake_camera, on_state=state_log)
    assert capture.state.status is CameraStatus.STARTING
    with capture:
        state_log.wait_for(_is(CameraStatus.RUNNING))
        assert capture.state.ok
    assert capture.state.status is CameraStatus.STOPPED


def test_capture_stops_within_a_second_even_while_waiting_to_reopen(state_log):
    camera = FakeCamera()
    camera.present = False
    capture = CaptureThread(camera, on_state=state_log, backoff_initial=30.0).start()
    state_log.wait_for(_is(CameraStatus.REOPENING))
    t = time.monotonic()
    assert capture.stop(timeout=1.0)
    assert time.monotonic() - t < 1.0


def test_capture_of_a_slow_paced_file_stops_within_a_second(tmp_path):
    path = synthetic.write_video([np.full((48, 64, 3), 100, np.uint8)] * 3, tmp_path / "slow.avi", fps=1.0)
    capture = CaptureThread(FileSource(path)).start()
    assert capture.wait_frame(timeout=3) is not None
    t = time.monotonic()
    assert capture.stop(timeout=1.0)
    assert time.monotonic() - t < 1.0


def test_unplugged_camera_is_reopened_with_growing_capped_back_off(state_log):
    camera = FakeCamera()
    camera.present = False
    capture = CaptureThread(camera, on_state=state_log, backoff_initial=0.02, backoff_max=0.1, fail_after=3)
    with capture:
        state_log.wait_for(lambda s: s.attempt >= 6, timeout=5)
    failures = [s for s in state_log.states if s.reason is FailureReason.NO_DEVICE][:6]
    delays = [round(s.next_attempt_at - s.since, 2) for s in failures]
    assert delays == [0.02, 0.04, 0.08, 0.1, 0.1, 0.1]
    # The screen shows "reconnecting" for the first tries, then "camera out of order".
    assert [s.status for s in failures] == [CameraStatus.REOPENING] * 2 + [CameraStatus.FAILED] * 4
    assert all("unplugged" in s.message for s in failures)
    assert camera.opens >= 6


def test_camera_that_comes_back_runs_again(fake_camera, state_log):
    with CaptureThread(fake_camera, on_state=state_log, backoff_initial=0.02, backoff_max=0.05) as capture:
        state_log.wait_for(_is(CameraStatus.RUNNING))
        fake_camera.present = False
        lost = state_log.wait_for(_is(CameraStatus.REOPENING, FailureReason.NO_DEVICE))
        assert lost.seconds_to_next_attempt() is not None
        index = len(state_log.states)
        seq_before = capture.latest().seq
        fake_camera.present = True
        state_log.wait_for(_is(CameraStatus.RUNNING), after=index)
        assert capture.wait_frame(after_seq=seq_before, timeout=2) is not None
    assert fake_camera.closes >= 2  # the failed opening was closed before retrying


def test_video_file_that_vanishes_and_returns_is_reopened(tmp_path, state_log):
    """A file source stands in for a USB camera that is unplugged and plugged back in."""
    path = tmp_path / "camera.avi"
    synthetic.write_video([synthetic.noise(np.full((48, 64, 3), 120, np.uint8), 5, np.random.default_rng(i)) for i in range(4)], path, fps=40.0)
    hidden = tmp_path / "unplugged.avi"
    with CaptureThread(FileSource(path), on_state=state_log, backoff_initial=0.05, backoff_max=0.2) as capture:
        state_log.wait_for(_is(CameraStatus.RUNNING))
        shutil.move(path, hidden)  # noticed when the file loops (after at most 4 frames)
        state_log.wait_for(_is(CameraStatus.REOPENING, FailureReason.NO_DEVICE), timeout=3)
        index = len(state_log.states)
        os.replace(hidden, path)
        state_log.wait_for(_is(CameraStatus.RUNNING), after=index, timeout=3)
        assert capture.wait_frame(after_seq=capture.latest().seq, timeout=2) is not None


def test_black_frames_are_reported_and_the_camera_reopened(state_log):
    camera = FakeCamera(picture=lambda n: np.full((48, 64, 3), 2, np.uint8))
    with CaptureThread(camera, on_state=state_log, black_frames=5, backoff_initial=0.02):
        state = state_log.wait_for(_is(CameraStatus.REOPENING, FailureReason.BLACK_FRAMES))
        state_log.wait_for(lambda s: s.attempt >= 2)
    assert "black" in state.message
    assert camera.opens >= 2


def test_a_dark_room_is_not_mistaken_for_a_black_camera(state_log):
    rng = np.random.default_rng(1)
    camera = FakeCamera(picture=lambda n: rng.integers(5, 40, (48, 64, 3), dtype=np.uint8))  # mean ~22
    with CaptureThread(camera, on_state=state_log, black_frames=5):
        time.sleep(0.3)
    assert state_log.count(lambda s: s.reason is FailureReason.BLACK_FRAMES) == 0


def test_frozen_frames_are_reported_and_the_camera_reopened(state_log):
    still = np.random.default_rng(2).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    camera = FakeCamera(picture=lambda n: still.copy())
    with CaptureThread(camera, on_state=state_log, frozen_seconds=0.2, backoff_initial=0.02):
        state = state_log.wait_for(_is(CameraStatus.REOPENING, FailureReason.FROZEN_FRAMES))
    assert "not changed" in state.message


def test_still_image_source_is_not_reported_as_frozen(tmp_path, state_log):
    import cv2

    path = tmp_path / "card.png"
    cv2.imwrite(str(path), np.random.default_rng(3).integers(0, 255, (48, 64, 3), dtype=np.uint8))
    with CaptureThread(ImageSource(path, fps=50), on_state=state_log, frozen_seconds=0.1):
        time.sleep(0.4)
    assert state_log.count(lambda s: s.reason is FailureReason.FROZEN_FRAMES) == 0


def test_camera_gives_up_after_max_attempts_when_asked(state_log):
    camera = FakeCamera()
    camera.present = False
    capture = CaptureThread(camera, on_state=state_log, backoff_initial=0.01, max_attempts=3).start()
    final = state_log.wait_for(lambda s: s.status is CameraStatus.FAILED and s.next_attempt_at is None)
    capture.stop()
    assert final.attempt == 3 and final.reason is FailureReason.NO_DEVICE
    assert capture.state.status is CameraStatus.FAILED  # still what the screen shows
    assert camera.opens == 3


def test_failing_state_listener_does_not_stop_the_camera(fake_camera):
    def broken(state):
        raise RuntimeError("UI bug")

    with CaptureThread(fake_camera, on_state=broken) as capture:
        assert capture.wait_frame(timeout=2) is not None
        assert capture.running


@pytest.mark.parametrize("fps", [25.0])
def test_video_file_is_paced_at_its_frame_rate(tmp_path, fps):
    rng = np.random.default_rng(4)
    path = synthetic.write_video([rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(10)], tmp_path / "p.avi", fps=fps)
    with CaptureThread(FileSource(path)) as capture:
        first = capture.wait_frame(timeout=2)
        time.sleep(1.0)
        last = capture.latest()
    rate = (last.seq - first.seq) / (last.timestamp - first.timestamp)
    assert rate == pytest.approx(fps, rel=0.2)
