"""Runs the real kiosk app in an off-screen window and plays one scripted visit with real touches.

Run by the UI tests as a subprocess (Kivy's window is one per process):

    python tests/kiosk/screens/driver.py SCENARIO --base-url URL --token TOKEN --status FILE --shots DIR ...

The scenario taps real widgets (touch events through the window), waits for
the flow to reach screens, takes screenshots, and reports every step in a
JSON status file that the test reads (and reacts to, e.g. by confirming a
registration as the cashier would).  Exit status 0 when the scenario passed.
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


class Driver:
    """Touches, waits and screenshots on the running app; every wait is a generator step."""

    def __init__(self, app, args):
        self.app = app
        self.args = args
        self.status: dict = {"step": "starting", "done": False, "passed": False, "steps": []}
        self.shots = Path(args.shots)
        self.shots.mkdir(parents=True, exist_ok=True)

    # -- reporting
    def report(self, step: str, **values) -> None:
        self.status.update(values, step=step, screen=self.app.flow.state.screen.value)
        self.status["steps"].append(step)
        tmp = Path(self.args.status + ".tmp")
        tmp.write_text(json.dumps(self.status))
        tmp.replace(self.args.status)

    def shot(self, name: str) -> Path:
        from kivy.core.window import Window

        produced = Window.screenshot(name=str(self.shots / f"{name}.png"))
        target = self.shots / f"{name}.png"
        os.replace(produced, target)
        return target

    # -- finding and touching widgets
    def widgets(self):
        return list(self.app.root.walk(restrict=False))

    @staticmethod
    def label_of(widget) -> str:
        return str(getattr(widget, "title", "") or getattr(widget, "text", "") or "")

    def find(self, text: str):
        matches = [w for w in self.widgets() if self.label_of(w) == text and hasattr(w, "dispatch")
                   and hasattr(w, "on_release") and not getattr(w, "disabled", False)
                   and getattr(w, "opacity", 1) > 0]
        if not matches:
            raise ScenarioFailed(f"no touchable widget says {text!r} on the {self.app.flow.state.screen} screen")
        return matches[-1]

    def tap(self, text: str) -> None:
        from kivy.tests.common import UnitTestTouch

        widget = self.find(text)
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()

    def texts(self) -> list[str]:
        """Every text any screen holds (current or not), the overlays included."""
        out = []
        for root in [self.app.root, *self.app.manager.screens]:
            for widget in root.walk(restrict=False):
                text = getattr(widget, "text", None)
                if isinstance(text, str) and text:
                    out.append(text)
        return out

    def visible_texts(self) -> list[str]:
        return [self.label_of(w) for w in self.widgets() if self.label_of(w)]

    # -- waiting
    def until(self, predicate, what: str, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"timed out waiting for {what} (on {self.app.flow.state.screen}, "
                                     f"steps {self.status['steps']})")
            yield
        for _ in range(3):  # let layouts settle before touching or shooting
            yield

    def until_screen(self, name: str, timeout: float = 15.0):
        yield from self.until(lambda: self.app.flow.state.screen.value == name, f"the {name} screen", timeout)

    def sleep(self, seconds: float):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            yield

    def assert_forgotten(self, *values: str) -> None:
        leaked = [t for t in self.texts() for v in values if v and v in t]
        if leaked:
            raise ScenarioFailed(f"personal values still shown after the visit: {leaked}")
        visit = self.app.flow.state.visit
        for value in values:
            if value and value in repr(visit):
                raise ScenarioFailed(f"{value!r} still in the flow state after the visit: {visit}")


# ---------------------------------------------------------------------- scenarios


def type_on_keypad(d: Driver, digits: str):
    """From the home screen: Enter ID, then each digit touched on the number pad."""
    yield from d.until_screen("home")
    d.tap(d.app.tr("Enter ID"))
    yield from d.until_screen("enter")
    for digit in digits:
        d.tap(digit)
        yield


def enter_id(d: Driver):
    number, first_name = d.args.value, d.args.first_name
    yield from d.until_screen("home")
    d.shot("01-home")
    d.tap(d.app.tr("Enter ID"))
    yield from d.until_screen("enter")
    for digit in number:
        d.tap(digit)
        yield
    yield from d.until(lambda: d.app.flow.state.visit.typed_text == number, "the typed number")
    d.shot("02-enter-typed")
    d.tap("OK")
    yield from d.until_screen("welcome")
    if not any(first_name in t for t in d.visible_texts()):
        raise ScenarioFailed(f"welcome screen does not greet {first_name}: {d.visible_texts()}")
    d.shot("03-welcome")
    d.report("welcome")
    yield from d.until_screen("home", timeout=d.args.welcome + 5)
    d.assert_forgotten(first_name, number)
    d.shot("04-home-after")


def language(d: Driver):
    yield from d.until_screen("home")
    for code, title in (("sv", "Koppla ditt köp till ditt kundkonto"), ("fr", "Associez votre achat à votre compte client"),
                        ("en", "Connect your purchase to your customer account")):
        from kiosk.i18n import language_name

        d.tap(language_name(code))
        yield from d.until(lambda c=code: d.app.lang == c, f"language {code}")
        if title not in d.visible_texts():
            raise ScenarioFailed(f"home title not in {code}: {d.visible_texts()}")
        d.shot(f"home-{code}")


def scan_pending(d: Driver):
    yield from d.until_screen("home")
    d.tap(d.app.tr("Scan ID"))
    yield from d.until_screen("scan")
    yield from d.until(lambda: d.app.screens and getattr(d.app.screen(d.app.flow.state.screen), "preview", None)
                       is not None, "the camera preview", timeout=10)
    d.shot("01-scan-preview")
    yield from d.until_screen("pending", timeout=30)
    d.shot("02-pending")
    d.report("pending", registration=d.app.flow.state.visit.registration)
    yield from d.until_screen("welcome", timeout=30)
    if not any(d.args.first_name in t for t in d.visible_texts()):
        raise ScenarioFailed(f"welcome does not greet {d.args.first_name}: {d.visible_texts()}")
    d.shot("03-welcome")
    d.report("welcome")


def become_member(d: Driver):
    yield from type_on_keypad(d, d.args.value)
    d.tap("OK")
    yield from d.until_screen("not_found")
    d.shot("01-not-found")
    d.tap(d.app.tr("Become a member"))
    yield from d.until_screen("pending")
    d.report("pending", registration=d.app.flow.state.visit.registration)
    yield from d.until_screen("welcome", timeout=30)
    d.shot("02-welcome")
    d.report("welcome")
    d.tap(d.app.tr("Done"))
    yield from d.until_screen("home")
    d.assert_forgotten(d.args.first_name, d.args.value)


def via_mobile(d: Driver):
    yield from d.until_screen("home")
    d.tap(d.app.tr("Via mobile"))
    yield from d.until(lambda: d.app.flow.state.visit.mobile_status == "waiting", "the QR code", timeout=10)
    d.shot("01-qr")
    d.report("qr", mobile_url=d.app.flow.state.visit.mobile_url)
    yield from d.until(lambda: d.app.flow.state.visit.mobile_status == "opened", "the phone to open the form")
    d.shot("02-opened")
    d.report("opened")
    yield from d.until_screen("welcome", timeout=30)
    d.shot("03-welcome")
    d.report("welcome")


def idle(d: Driver):
    yield from type_on_keypad(d, "1985")
    yield from d.until(lambda: d.app.flow.state.idle_prompt, "the idle prompt", timeout=d.args.idle + 5)
    d.shot("01-idle-prompt")
    d.tap(d.app.tr("Yes, more time"))
    yield from d.until(lambda: not d.app.flow.state.idle_prompt, "the prompt to close")
    if d.app.flow.state.visit.typed_text != "1985":
        raise ScenarioFailed("more time lost what was typed")
    yield from d.until(lambda: d.app.flow.state.idle_prompt, "the idle prompt again", timeout=d.args.idle + 5)
    yield from d.until_screen("home", timeout=30)
    d.assert_forgotten("1985")
    d.shot("02-home-after-idle")


def sale_closes(d: Driver):
    yield from type_on_keypad(d, d.args.value)
    d.report("typing")
    yield from d.until_screen("waiting", timeout=30)
    d.assert_forgotten(d.args.value)
    d.shot("01-waiting")


def offline_then_back(d: Driver):
    yield from type_on_keypad(d, d.args.value)
    d.report("typed")
    yield from d.until(lambda: not d.app.flow.state.online, "the kiosk to notice the backoffice is gone", timeout=60)
    d.tap("OK")
    yield from d.until_screen("queued", timeout=60)
    d.shot("01-queued")
    d.report("queued", outbox=d.app.services.outbox.count())
    yield from d.until(lambda: d.app.services.outbox.count() == 0 and d.app.flow.state.online, "the outbox to be sent",
                       timeout=90)
    d.report("sent")
    yield from d.sleep(1)


def touch_targets(d: Driver):
    """Every button on every screen and state is at least 12 mm by 12 mm (at the screen's own size)."""
    from kivy.uix.behaviors import ButtonBehavior

    from kiosk.gallery import scenes

    minimum = d.app.mm(12) - 1
    small = []
    for name, state in scenes(d.app.shop_name):
        d.app.flow.state = state
        d.app.render(state)
        yield
        yield
        for widget in d.widgets():
            if isinstance(widget, ButtonBehavior) and not widget.disabled and widget.opacity > 0 \
                    and widget.get_root_window() is not None and min(widget.size) < minimum:
                small.append((name, type(widget).__name__, d.label_of(widget), tuple(round(v) for v in widget.size)))
    if small:
        raise ScenarioFailed(f"touch targets under 12 mm ({minimum:.0f} px): {small}")


def camera_missing(d: Driver):
    yield from d.until_screen("home")
    d.tap(d.app.tr("Scan ID"))
    yield from d.until_screen("scan")
    yield from d.until(lambda: not d.app.flow.state.camera_ok, "the camera failure to be reported", timeout=20)
    message = d.app.tr("The camera is not working right now")
    yield from d.until(lambda: message in d.visible_texts(), "the camera message")
    d.shot("01-camera-missing")
    yield from d.until_screen("scan", timeout=1)
    d.tap(d.app.tr("Enter ID instead"))
    yield from d.until_screen("enter")
    yield from d.until(lambda: d.app.services.camera.capture is None, "the camera to be released")
    d.tap(d.app.tr("Back"))
    yield from d.until_screen("home")
    if d.app.tr("Camera not available") not in d.visible_texts():
        raise ScenarioFailed("the home screen does not say the camera is unavailable")
    d.shot("02-home-no-camera")


def door(d: Driver):
    """A venue scanner: the camera video shows a member's, a non-member's and an unknown code in turn."""
    yield from d.until_screen("verify", timeout=30)
    d.shot("00-scanning")
    seen: list[list[str]] = []
    deadline = time.monotonic() + 90
    while len({r for r, _ in seen}) < 3:
        visit = d.app.flow.state.visit
        if visit.verify_result and (not seen or seen[-1] != [visit.verify_result, visit.first_name]):
            seen.append([visit.verify_result, visit.first_name])
            for _ in range(3):
                yield
            d.shot(f"{len(seen):02d}-{visit.verify_result}")
            d.report("answer", answers=seen)
        if time.monotonic() > deadline:
            raise ScenarioFailed(f"answers seen: {seen}")
        yield
    # the app downloads the signed offline list beside the online answers, so the door keeps working offline
    yield from d.until(lambda: d.app.services.verify_cache.loaded, "the offline list", timeout=30)
    d.report("answers", answers=seen, offline_codes=d.app.services.verify_cache.size)


def door_rescan(d: Driver):
    """A venue scanner: the same member's code twice (the second pass says when the first was), then a vCard.

    The video loops and may start before the screen is up, so the scenario runs until it has seen a first
    pass, a second pass and the vCard, in whatever order the loop brought them.
    """
    yield from d.until_screen("verify", timeout=30)
    seen: list[list[str]] = []
    looks: list[dict] = []
    deadline = time.monotonic() + 90
    while {("repeat" if r == "success" and t else r) for r, t, _ in seen} != {"success", "repeat", "unknown"}:
        visit = d.app.flow.state.visit
        answer = [visit.verify_result, visit.verify_repeat_time, visit.first_name]
        if visit.verify_result and (not seen or seen[-1] != answer):
            seen.append(answer)
            for _ in range(3):
                yield
            screen = d.app.manager.current_screen
            looks.append({"title": screen.title, "tone": screen.tone, "icon": screen.icon, "detail": screen.detail})
            d.shot(f"{len(seen):02d}-{'repeat' if visit.verify_repeat_time else visit.verify_result}")
            d.report("answer", answers=seen, looks=looks)
        if time.monotonic() > deadline:
            raise ScenarioFailed(f"answers seen: {seen}")
        yield
    d.report("answers", answers=seen, looks=looks)


SCENARIOS = {f.__name__: f for f in (door, door_rescan, camera_missing, touch_targets, enter_id, language, scan_pending, become_member, via_mobile, idle, sale_closes,
                                     offline_then_back)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--status", required=True)
    parser.add_argument("--shots", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--camera", default="0")
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--value", default="")
    parser.add_argument("--first-name", default="")
    parser.add_argument("--idle", type=float, default=60)
    parser.add_argument("--welcome", type=float, default=3)
    parser.add_argument("--language", default="en")
    parser.add_argument("--no-services", action="store_true", help="no backoffice watcher (states set by the scenario)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    config = load_config(environ={}, backoffice_url=args.base_url, device_token=args.token, camera=args.camera,
                         state_dir=args.state_dir, fullscreen=False, width=width, height=height, sound=True,
                         idle_timeout_seconds=args.idle, idle_warning_seconds=5, welcome_seconds=args.welcome,
                         result_seconds=3, language=args.language)
    kiosk_environment(config, offscreen=True)
    from kivy.clock import Clock

    from kiosk.app import KioskApp

    app = KioskApp(config, background=not args.no_services)
    if args.no_services:
        app.flow.tick = lambda: None
    driver = Driver(app, args)
    steps = SCENARIOS[args.scenario](driver)
    outcome = {"code": 1}

    def step(_dt) -> None:
        try:
            next(steps)
        except StopIteration:
            driver.status.update(done=True, passed=True)
            driver.report("finished")
            outcome["code"] = 0
            app.stop()
            return False
        except Exception as exc:  # report every failure, then end the app
            driver.status.update(done=True, passed=False, error=f"{type(exc).__name__}: {exc}",
                                 traceback=traceback.format_exc())
            driver.report("failed")
            try:
                driver.shot("failure")
            except Exception:  # noqa: BLE001 - the screenshot is a bonus
                pass
            app.stop()
            return False

    app.on_ready_callbacks.append(lambda: Clock.schedule_interval(step, 0.05))
    app.run()
    return outcome["code"]


if __name__ == "__main__":
    sys.exit(main())
