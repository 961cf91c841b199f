"""The visit as an explicit state machine, with no Kivy and no HTTP of its own.

The app forwards touches, scans, server state and clock ticks; the flow
decides the screen and asks its ``runner`` to do slow work (backoffice calls)
in the background, receiving the result as another event.  It talks to the
backoffice through the :class:`Backoffice` protocol, whose answers are the
typed models of ``counter_core.kiosk_api``.  Every personal
value lives in the visit's part of :class:`FlowState` and is dropped when the
visit ends: idle timeout, sale closed, or the welcome shown.

    WAITING ──sale opens──▶ HOME ──▶ MOBILE | SCAN | ENTER (→ CHOOSE)
                                         │
                                      WORKING ──▶ WELCOME | NOT_FOUND | PENDING | QUEUED | PROBLEM
    any screen ──sale closes──▶ WAITING;  idle ──"need more time?"──▶ HOME
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from counter_core.identity import Identity, TypedInput, classify_typed_input
from counter_core.kiosk_api import (
    GroupBadge,
    IdentifyAnswer,
    MobileSessionView,
    PublicCustomer,
    RegisterState,
    RegistrationView,
    VerifyAnswer,
    new_idempotency_key,
)
from counter_core.offline_list import lookup_key

from .errors import BackofficeUnavailable, KioskError, NotPaired, ProtocolError, RateLimited, Rejected
from .outbox import Outbox
from .verify_cache import VerifyCache

log = logging.getLogger(__name__)


class Screen(enum.StrEnum):
    WAITING = "waiting"
    HOME = "home"
    MOBILE = "mobile"
    SCAN = "scan"
    ENTER = "enter"
    CHOOSE = "choose"
    WORKING = "working"
    WELCOME = "welcome"
    NOT_FOUND = "not_found"
    PENDING = "pending"
    DECLINED = "declined"
    QUEUED = "queued"
    PROBLEM = "problem"
    VERIFY = "verify"


# The screens that show the camera picture and act on what it reads.
CAMERA_SCREENS = frozenset({Screen.SCAN, Screen.VERIFY})
# Screens where nobody is expected to touch for a while, or that end by themselves.
NO_IDLE_PROMPT = {Screen.WAITING, Screen.HOME, Screen.WORKING, Screen.WELCOME, Screen.DECLINED, Screen.QUEUED,
                  Screen.VERIFY}
MAX_TYPED = 20
POLL_WAIT = 20.0


@dataclass(frozen=True)
class Visit:
    """Everything about the current customer; replaced by an empty Visit when the visit ends."""

    number: int = 0
    typed_text: str = ""
    typed: TypedInput | None = None
    typed_message: str = ""
    request: dict | None = None  # the identify/registration fields, kept for "become a member"
    source: str = ""  # enter | scan
    first_name: str = ""
    groups: tuple[GroupBadge, ...] = ()
    reason: str = ""  # why not found / declined / problem
    registration: str = ""
    mobile_reference: str = ""
    mobile_url: str = ""
    mobile_status: str = ""  # starting | waiting | opened | expired
    mobile_deadline: float = 0.0
    scan_hint: str = ""
    can_register: bool = False
    last_activity: float = 0.0
    idle_deadline: float = 0.0  # > 0 while "need more time?" is shown
    screen_deadline: float = 0.0  # screens that return home by themselves
    verify_result: str = ""  # venue scanner: success | warning | unknown | unavailable
    verify_offline: bool = False
    verify_repeat_time: str = ""  # a success for someone who already passed this door: when ("14:02")


@dataclass(frozen=True)
class FlowState:
    screen: Screen = Screen.WAITING
    language: str = "sv"
    online: bool = False
    paired: bool = True
    sale: str | None = None
    sale_has_customer: bool = False
    shop_name: str = ""
    mode: str = "connect"
    camera_ok: bool = True
    camera_message: str = ""
    outbox: int = 0
    verify_groups: tuple[GroupBadge, ...] = ()  # the groups a venue scanner checks (empty: all)
    verify_rescan: float | None = None  # the backoffice's re-scan window, once it said (else Timing.verify_rescan)
    visit: Visit = field(default_factory=Visit)

    @property
    def idle_prompt(self) -> bool:
        return self.visit.idle_deadline > 0


@dataclass(frozen=True)
class Timing:
    idle_timeout: float = 60.0
    idle_warning: float = 20.0
    welcome: float = 8.0
    result: float = 12.0
    verify_result: float = 4.0
    verify_rescan: float = 600.0  # offline, until the backoffice names its window: a second pass within this


class Backoffice(Protocol):
    """What the flow asks of the backoffice (``kiosk.api.BackofficeClient`` in the app, fakes in tests).

    Each call may raise the errors of ``kiosk.errors``; each answer is a ``counter_core.kiosk_api`` model.
    """

    def identify(self, payload: dict, key: str) -> IdentifyAnswer: ...
    def register(self, payload: dict, key: str) -> RegistrationView: ...
    def registration(self, reference: str, *, wait: float = 0) -> RegistrationView: ...
    def start_mobile_session(self, language: str, key: str) -> MobileSessionView: ...
    def mobile_session(self, reference: str, *, wait: float = 0, after: str = "") -> MobileSessionView: ...
    def verify(self, payload: dict, key: str) -> VerifyAnswer: ...


Runner = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[Exception], None]], None]


class VisitFlow:
    """The customer screen's logic.  Call its methods on the UI thread only."""

    def __init__(
        self,
        client: Backoffice,
        runner: Runner,
        *,
        outbox: Outbox | None = None,
        verify_cache: VerifyCache | None = None,
        language: str = "sv",
        timing: Timing = Timing(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.runner = runner
        self.outbox = outbox
        self.default_language = language
        self.timing = timing
        self.clock = clock
        self.state = FlowState(language=language)
        self._listeners: list[Callable[[FlowState], None]] = []
        self._visits = 0
        self.on_outbox_added: Callable[[], None] | None = None
        self.verify_cache = verify_cache  # a venue scanner's offline list
        # Who passed this door lately (opaque reference -> monotonic time, shop clock "14:02"), so that an
        # offline second pass is still told apart; online the backoffice's scan log decides.
        self._passes: dict[str, tuple[float, str]] = {}

    # ------------------------------------------------------------------ plumbing

    def subscribe(self, listener: Callable[[FlowState], None]) -> None:
        self._listeners.append(listener)

    def _set(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)
        for listener in self._listeners:
            listener(self.state)

    def _visit(self, **changes: Any) -> None:
        self._set(visit=replace(self.state.visit, **changes))

    def _go(self, screen: Screen, **visit_changes: Any) -> None:
        now = self.clock()
        deadline = 0.0
        if screen == Screen.WELCOME:
            deadline = now + self.timing.welcome
        elif screen in (Screen.DECLINED, Screen.QUEUED, Screen.PROBLEM):
            deadline = now + self.timing.result
        visit = replace(self.state.visit, last_activity=now, idle_deadline=0.0, screen_deadline=deadline, **visit_changes)
        self._set(screen=screen, visit=visit)

    def _end_visit(self) -> None:
        """Drop every personal value and go to the screen the sale calls for."""
        self._visits += 1
        screen = Screen.VERIFY if self.state.mode == "verify" else (Screen.HOME if self.state.sale else Screen.WAITING)
        self._set(
            screen=screen,
            language=self.default_language,
            visit=Visit(number=self._visits, last_activity=self.clock()),
        )

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[Exception], None]) -> None:
        """Run ``work`` in the background; drop its answer if the visit has ended meanwhile."""
        visit = self.state.visit.number

        def on_done(result: Any) -> None:
            if self.state.visit.number == visit:
                done(result)

        def on_error(exc: Exception) -> None:
            if self.state.visit.number == visit:
                failed(exc)
            else:
                log.info("Ignoring a late failure of a finished visit: %s", type(exc).__name__)

        self.runner(work, on_done, on_error)

    # ------------------------------------------------------------------ from the server watcher

    def server_state(self, state: RegisterState) -> None:
        """The register's state as long-polled from the backoffice."""
        sale = state.sale
        reference = sale.reference if sale else None
        mode = state.kiosk.mode
        changed_sale = reference != self.state.sale
        self._set(
            verify_groups=state.kiosk.verify_groups,
            verify_rescan=float(state.kiosk.verify_rescan_seconds),
            online=True,
            paired=True,
            sale=reference,
            sale_has_customer=bool(sale and sale.customer_connected),
            shop_name=state.shop_name or self.state.shop_name,
            mode=mode,
        )
        if mode == "verify":
            if self.state.screen != Screen.VERIFY:
                self._end_visit()
        elif changed_sale or self.state.screen == Screen.VERIFY:
            self._end_visit()

    def resume_verify_mode(self) -> None:
        """Started without the backoffice, but with a venue scanner's offline list: keep the door working."""
        if self.state.mode != "verify":
            self._set(mode="verify")
            self._end_visit()

    def server_unreachable(self) -> None:
        self._set(online=False)

    def not_paired(self) -> None:
        self._set(paired=False, online=True)
        self._end_visit()

    def camera_state(self, ok: bool, message: str = "") -> None:
        self._set(camera_ok=ok, camera_message=message)

    def outbox_changed(self, count: int) -> None:
        self._set(outbox=count)

    # ------------------------------------------------------------------ touches

    def touched(self) -> None:
        """Any touch counts as activity and answers "need more time?"."""
        self._visit(last_activity=self.clock(), idle_deadline=0.0)

    def more_time(self) -> None:
        self.touched()

    def set_language(self, language: str) -> None:
        self._set(language=language)
        self.touched()

    def home(self) -> None:
        """Back / Cancel / Done: end the visit."""
        self._end_visit()

    def choose(self, choice: str) -> None:
        """One of the three large choices on the home screen."""
        if self.state.screen != Screen.HOME:
            return
        if choice == "mobile":
            self._start_mobile()
        elif choice == "scan":
            self._go(Screen.SCAN, scan_hint="")
        elif choice == "enter":
            self._go(Screen.ENTER, typed_text="", typed=None, typed_message="")
        else:
            raise ValueError(f"unknown choice {choice!r}")

    # ------------------------------------------------------------------ Enter ID

    def press_key(self, key: str) -> None:
        if self.state.screen != Screen.ENTER:
            return
        text = self.state.visit.typed_text
        if key == "backspace":
            text = text[:-1]
        elif key == "clear":
            text = ""
        elif key in "0123456789+" and len(key) == 1 and len(text) < MAX_TYPED:
            if key == "+" and text:
                return  # a plus only starts an international number
            text += key
        else:
            return
        typed = classify_typed_input(text, complete=False) if text else None
        self._visit(typed_text=text, typed=typed, typed_message="", last_activity=self.clock(), idle_deadline=0.0)

    def submit_typed(self) -> None:
        if self.state.screen != Screen.ENTER or not self.state.visit.typed_text:
            return
        typed = classify_typed_input(self.state.visit.typed_text, complete=True)
        if typed.kind == "ambiguous":
            self._go(Screen.CHOOSE, typed=typed)
        elif typed.kind == "invalid":
            self._visit(typed=typed, typed_message=typed.message_code)
        else:
            self._identify({"method": "enter", "kind": typed.kind, typed.kind: typed.value}, source="enter")

    def choose_kind(self, kind: str) -> None:
        """The customer said which reading of an ambiguous number they meant."""
        typed = self.state.visit.typed
        if self.state.screen != Screen.CHOOSE or typed is None:
            return
        for candidate in typed.candidates:
            if candidate.kind == kind:
                self._identify({"method": "enter", "kind": kind, kind: candidate.value}, source="enter")
                return

    def back_to_keypad(self) -> None:
        if self.state.screen == Screen.CHOOSE:
            self._go(Screen.ENTER)

    # ------------------------------------------------------------------ Scan ID

    def scanned(self, identity: Identity) -> None:
        """A code was read by the camera while the scan screen is shown."""
        if self.state.screen != Screen.SCAN:
            return
        if identity.kind == "unrecognised":
            self._visit(scan_hint=identity.reason or "unknown_format", last_activity=self.clock(), idle_deadline=0.0)
            return
        self._identify({"method": "scan", **identity.to_dict()}, source="scan")

    # ------------------------------------------------------------------ identify and its answers

    def _identify(self, request: dict, *, source: str) -> None:
        request = {k: v for k, v in request.items() if k not in ("reason", "message")}
        if self.state.sale:
            request["sale"] = self.state.sale
        key = new_idempotency_key()
        self._go(Screen.WORKING, request=request, source=source)
        self._run(lambda: self.client.identify(request, key), self._identified,
                  lambda exc: self._failed(exc, "identify", request, key))

    def _identified(self, answer: IdentifyAnswer) -> None:
        if answer.result == "matched":
            self._welcome(answer.customer)
        elif answer.result == "pending":
            self._pending_or_problem(answer.registration)
        else:
            self._go(Screen.NOT_FOUND, reason=answer.reason or "not_found", can_register=answer.can_register)

    def _welcome(self, customer: PublicCustomer | None) -> None:
        self._go(Screen.WELCOME, first_name=customer.first_name if customer else "",
                 groups=customer.groups if customer else (), request=None, typed_text="", typed=None)

    def become_member(self) -> None:
        """Not found: send what the customer gave to the cashier as a pending registration."""
        visit = self.state.visit
        if self.state.screen != Screen.NOT_FOUND or not visit.can_register or not visit.request:
            return
        fields = {k: v for k, v in visit.request.items() if k not in ("method", "kind", "symbology", "customer_number",
                                                                       "card_code", "licence_number")}
        payload = {**fields, "source": visit.source or "enter", "language": self.state.language}
        key = new_idempotency_key()
        self._go(Screen.WORKING)
        self._run(lambda: self.client.register(payload, key), lambda view: self._pending(view.reference),
                  lambda exc: self._failed(exc, "registration", payload, key))

    def _pending_or_problem(self, registration: RegistrationView | None) -> None:
        """A "pending" answer names its registration; one that does not is the backoffice's mistake."""
        if registration is None:
            self._problem(ProtocolError("a pending answer without its registration"))
        else:
            self._pending(registration.reference)

    def _pending(self, reference: str) -> None:
        self._go(Screen.PENDING, registration=reference, request=None, typed_text="", typed=None)
        self._follow_registration(reference)

    def _follow_registration(self, reference: str) -> None:
        def done(view: RegistrationView) -> None:
            if self.state.screen != Screen.PENDING or self.state.visit.registration != reference:
                return
            if view.status == "confirmed":
                self._welcome(view.customer)
            elif view.status in ("aborted", "expired"):
                self._go(Screen.DECLINED, reason=view.status, registration="")
            else:
                self._follow_registration(reference)

        def failed(exc: Exception) -> None:
            if self.state.screen == Screen.PENDING and isinstance(exc, BackofficeUnavailable):
                self._set(online=False)
                self._follow_registration(reference)  # the client backs off; the cashier's answer is still coming
            elif self.state.screen == Screen.PENDING:
                self._problem(exc)

        self._run(lambda: self.client.registration(reference, wait=POLL_WAIT), done, failed)

    def _failed(self, exc: Exception, kind: str, payload: dict, key: str) -> None:
        """An identify or registration did not go through."""
        if isinstance(exc, BackofficeUnavailable) and self.outbox is not None:
            self.outbox.add(kind, payload, key)
            self._set(online=False, outbox=self.outbox.count())
            if self.on_outbox_added:
                self.on_outbox_added()
            self._go(Screen.QUEUED, reason=kind, request=None, typed_text="", typed=None)
            return
        if isinstance(exc, Rejected) and not isinstance(exc, NotPaired | RateLimited) and exc.status == 422:
            # The server refused the value itself: let the customer correct it where they typed or scanned.
            if self.state.visit.source == "enter":
                self._go(Screen.ENTER, typed_message=exc.code)
                return
            if self.state.visit.source == "scan":
                self._go(Screen.SCAN, scan_hint=exc.code)
                return
        self._problem(exc)

    def _problem(self, exc: Exception) -> None:
        if isinstance(exc, NotPaired):
            self.not_paired()
            return
        if isinstance(exc, RateLimited):
            reason = "rate_limited"
        elif isinstance(exc, BackofficeUnavailable):
            reason = "offline"
            self._set(online=False)
        else:
            reason = "error"
            log.warning("Request refused: %s", exc if isinstance(exc, KioskError) else type(exc).__name__)
        self._go(Screen.PROBLEM, reason=reason, request=None, typed_text="", typed=None)

    # ------------------------------------------------------------------ Via mobile

    def _start_mobile(self) -> None:
        if not self.state.online:
            self._go(Screen.PROBLEM, reason="offline_mobile")
            return
        key = new_idempotency_key()
        self._go(Screen.MOBILE, mobile_status="starting", mobile_url="", mobile_reference="")
        self._run(lambda: self.client.start_mobile_session(self.state.language, key), self._mobile_started,
                  self._problem)

    def new_mobile_code(self) -> None:
        if self.state.screen == Screen.MOBILE and self.state.visit.mobile_status == "expired":
            self._set(screen=Screen.HOME)
            self._start_mobile()

    def _mobile_started(self, view: MobileSessionView) -> None:
        if not view.url:
            self._problem(ProtocolError("a new mobile session without its address"))
            return
        self._go(Screen.MOBILE, mobile_reference=view.reference, mobile_url=view.url, mobile_status="waiting",
                 mobile_deadline=self.clock() + view.expires_in_seconds)
        self._follow_mobile(view.reference, "waiting")

    def _follow_mobile(self, reference: str, status: str) -> None:
        def done(view: MobileSessionView) -> None:
            if self.state.screen != Screen.MOBILE or self.state.visit.mobile_reference != reference:
                return
            if view.status == "matched":
                self._welcome(view.customer)
            elif view.status == "pending":
                self._pending_or_problem(view.registration)
            elif view.status == "expired":
                self._visit(mobile_status="expired", mobile_url="")
            else:
                if view.status != status:
                    expires_in = view.expires_in_seconds
                    self._visit(mobile_status=view.status, last_activity=self.clock(), idle_deadline=0.0,
                                mobile_deadline=self.clock() + expires_in if expires_in else 0.0)
                self._follow_mobile(reference, view.status)

        def failed(exc: Exception) -> None:
            if self.state.screen == Screen.MOBILE and isinstance(exc, BackofficeUnavailable):
                self._set(online=False)
                self._follow_mobile(reference, status)
            elif self.state.screen == Screen.MOBILE:
                self._problem(exc)

        self._run(lambda: self.client.mobile_session(reference, wait=POLL_WAIT, after=status), done, failed)

    # ------------------------------------------------------------------ venue scanner (verify mode)

    def verify_scanned(self, identity: Identity) -> None:
        """A code at the door: answer at once, from the backoffice or, offline, from the signed list."""
        if self.state.screen != Screen.VERIFY:
            return
        key = lookup_key(identity)
        if key is None:
            # A vCard, a licence, unknown text: nobody to look up.  Answered at once; what kind of code it
            # was (never its content) goes to the scan log.
            self._verified("unknown", None, offline=not self.state.online)
            self._report_unrecognised(identity.kind)
            return
        kind = identity.kind
        payload = {"kind": kind, kind: identity.customer_number if kind == "customer_number" else identity.card_code}
        if not self.state.online:
            self._verify_offline(identity)
            return
        request_key = new_idempotency_key()

        def failed(exc: Exception) -> None:
            if isinstance(exc, BackofficeUnavailable):
                self._set(online=False)
                self._verify_offline(identity)
            else:
                self._problem(exc)

        def answered(answer: VerifyAnswer) -> None:
            self._verified(answer.result, answer.customer, repeat_time=answer.already_scanned_time)

        self._run(lambda: self.client.verify(payload, request_key), answered, failed)

    def _report_unrecognised(self, presented: str) -> None:
        """Log a code that names nobody: online at once, else through the outbox."""
        scan = {"at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "result": "unknown",
                "presented": presented}

        def queue(_exc: Exception | None = None) -> None:
            self._log_offline_scan(scan)

        if not self.state.online:
            queue()
            return
        request_key = new_idempotency_key()
        self._run(lambda: self.client.verify({"kind": "other", "presented": presented}, request_key),
                  lambda _answer: None,
                  lambda exc: queue() if isinstance(exc, BackofficeUnavailable) else None)

    def _verify_offline(self, identity: Identity) -> None:
        cache = self.verify_cache
        if cache is None:
            self._verified("unavailable", None, offline=True)
            return
        answer = cache.answer(identity, [g.id for g in self.state.verify_groups] or None)
        customer = PublicCustomer(reference=answer.reference, first_name=answer.first_name, groups=answer.groups)
        repeat_time = self._recent_pass(answer.reference) if answer.result == "success" else ""
        self._verified(answer.result, customer, offline=True, repeat_time=repeat_time)
        if answer.result != "unavailable":
            self._log_offline_scan({"at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                                    "result": answer.result, "customer_reference": answer.reference or None,
                                    "presented": identity.kind, "repeat": bool(repeat_time)})

    def _recent_pass(self, reference: str) -> str:
        """When (shop clock) this customer passed this door within the re-scan window, or ""."""
        seen = self._passes.get(reference) if reference else None
        window = self._rescan_window()
        if seen and window > 0 and self.clock() - seen[0] <= window:
            return seen[1]
        return ""

    def _verified(self, result: str, customer: PublicCustomer | None, *, offline: bool = False,
                  repeat_time: str = "") -> None:
        """Show the door's answer (success | warning | unknown | unavailable) for a few seconds."""
        if result == "unknown":
            customer = None
        if result == "success" and customer is not None and customer.reference:
            self._passes[customer.reference] = (self.clock(), time.strftime("%H:%M"))
            self._forget_old_passes()
        self._go(Screen.VERIFY, verify_result=result, verify_offline=offline,
                 verify_repeat_time=repeat_time if result == "success" else "",
                 first_name=customer.first_name if customer else "", groups=customer.groups if customer else ())
        self._visit(screen_deadline=self.clock() + self.timing.verify_result)

    def _rescan_window(self) -> float:
        window = self.state.verify_rescan
        return self.timing.verify_rescan if window is None else window

    def _forget_old_passes(self) -> None:
        now = self.clock()
        for reference in [r for r, (at, _) in self._passes.items() if now - at > self._rescan_window()]:
            del self._passes[reference]

    def _log_offline_scan(self, scan: dict) -> None:
        if self.outbox is None:
            return
        self.outbox.add("verify_log", {"scans": [scan]}, new_idempotency_key())
        self._set(outbox=self.outbox.count())
        if self.on_outbox_added:
            self.on_outbox_added()

    # ------------------------------------------------------------------ time

    def tick(self) -> None:
        """Called a few times a second: idle prompts, screens that end by themselves, QR expiry."""
        now = self.clock()
        state, visit = self.state, self.state.visit
        if visit.screen_deadline and now >= visit.screen_deadline:
            self._end_visit()
            return
        if state.screen == Screen.MOBILE and visit.mobile_status == "waiting" and visit.mobile_deadline \
                and now >= visit.mobile_deadline:
            self._visit(mobile_status="expired", mobile_url="")
        if state.screen in NO_IDLE_PROMPT or (state.screen == Screen.MOBILE and visit.mobile_status == "opened"):
            return
        if visit.idle_deadline:
            if now >= visit.idle_deadline:
                self._end_visit()
        elif now - visit.last_activity >= self.timing.idle_timeout:
            self._visit(idle_deadline=now + self.timing.idle_warning)

    def seconds_left(self) -> float:
        """For countdowns on screen: the idle prompt's, else the QR code's."""
        now = self.clock()
        if self.state.visit.idle_deadline:
            return max(0.0, self.state.visit.idle_deadline - now)
        if self.state.screen == Screen.MOBILE and self.state.visit.mobile_deadline:
            return max(0.0, self.state.visit.mobile_deadline - now)
        return 0.0
