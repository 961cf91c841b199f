"""Runs the unpaired kiosk's window off screen, its camera playing a video of pairing QR codes, and screenshots it.

Run by tests/kiosk/screens/test_pairing_screens.py as a subprocess (Kivy's window is one per process):

    python tests/kiosk/screens/pairing_driver.py --camera file:VIDEO --state-dir DIR --status FILE --shots DIR

The video shows an empty counter, then an expired pairing code, then a valid one.  The driver waits for
each step of the pairing flow, takes a screenshot, checks the texts on screen, and writes every step to
the JSON status file.  Exit status 0 when the pairing app ended paired.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from kiosk.config import load_config  # noqa: E402
from kiosk.kivy_setup import kiosk_environment  # noqa: E402


class ScenarioFailed(AssertionError):
    pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--camera", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--status", required=True)
    parser.add_argument("--shots", required=True)
    parser.add_argument("--language", default="sv")
    parser.add_argument("--size", default="1280x800")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    config = load_config(environ={}, camera=args.camera, state_dir=args.state_dir, fullscreen=False, width=width,
                         height=height, sound=False, language=args.language)
    kiosk_environment(config, offscreen=True)
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.pairing_app import PairingApp
    from kiosk.pairing_flow import Step

    app = PairingApp(config, paired_seconds=2.0)
    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    status: dict = {"steps": [], "done": False, "passed": False}

    def report(step: str, **values) -> None:
        status.update(values, step=step)
        status["steps"].append(step)
        Path(args.status + ".tmp").write_text(json.dumps(status))
        os.replace(args.status + ".tmp", args.status)

    def shot(name: str) -> None:
        produced = Window.screenshot(name=str(shots / f"{name}.png"))
        os.replace(produced, shots / f"{name}.png")

    def visible_texts() -> list[str]:
        screen = app.manager.current_screen
        return [w.text for w in [*app.top_bar.walk(), *screen.walk(restrict=True)]
                if isinstance(getattr(w, "text", None), str) and w.text and getattr(w, "opacity", 1) > 0]

    def check_fits(step: str) -> None:
        """Every text and button shown lies inside the screen: nothing pushed under the top bar or off the bottom."""
        from kivy.uix.behaviors import ButtonBehavior
        from kivy.uix.label import Label

        screen = app.manager.current_screen
        outside = [(type(w).__name__, getattr(w, "text", "")[:40], round(w.y), round(w.top))
                   for w in screen.walk(restrict=True)
                   if isinstance(w, (Label, ButtonBehavior)) and w.opacity > 0 and w.height > 0 and w.text
                   and (w.top > screen.top + 1 or w.y < screen.y - 1)]
        if outside:
            raise ScenarioFailed(f"{step}: outside the screen ({round(screen.y)}..{round(screen.top)}): {outside}")

    def until(predicate, what: str, timeout: float = 40.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"timed out waiting for {what} (flow at {app.flow.state})")
            yield
        for _ in range(4):  # let the layout settle before the screenshot
            yield

    def scenario():
        yield from until(lambda: app.pairing_screen.preview is not None, "the camera picture")
        title = app.tr("Scan the pairing code from the back office")
        if title not in visible_texts():
            raise ScenarioFailed(f"the pairing screen does not say {title!r}: {visible_texts()}")
        check_fits("unpaired")
        shot("01-unpaired")
        report("unpaired", unpaired_texts=visible_texts())
        yield from until(lambda: app.flow.state.reason == "pairing_code_expired", "the expired code's refusal")
        message = app.tr(app.flow.state.message)
        if message not in visible_texts():
            raise ScenarioFailed(f"the refusal is not on the screen: {visible_texts()}")
        check_fits("expired")
        shot("02-expired")
        report("expired", expired_texts=visible_texts())
        yield from until(lambda: app.flow.state.step == Step.PAIRED, "the valid code to pair the kiosk")
        paired = app.tr("Paired with {register}", register=app.flow.state.register_name)
        if app.manager.current != "paired" or paired not in visible_texts():
            raise ScenarioFailed(f"the paired screen does not say {paired!r}: {visible_texts()}")
        check_fits("paired")
        shot("03-paired")
        report("paired", paired_texts=visible_texts(), register=app.flow.state.register_name)

    steps = scenario()

    def step(_dt) -> bool | None:
        try:
            next(steps)
        except StopIteration:
            return False  # the app ends by itself once the register has been shown
        except Exception as exc:  # report every failure, then end the app
            status.update(error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
            report("failed")
            try:
                shot("failure")
            except Exception:  # noqa: BLE001 - the screenshot is a bonus
                pass
            app.stop()
            return False
        return None

    app.on_ready_callbacks.append(lambda: Clock.schedule_interval(step, 0.05))
    app.run()
    status.update(done=True, passed=app.paired and "paired" in status["steps"])
    report("finished")
    return 0 if status["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
