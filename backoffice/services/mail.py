"""E-mail: queued in the database, delivered in the background with retries.

The target is ``settings.smtp_url`` (``smtp://user:password@host:587?starttls=1&from=shop@example.se``
or ``smtps://...``), else a file outbox: one ``.eml`` file per message in
``settings.mail_outbox_dir``, which a demo or a mail client can pick up.  A
message is claimed (queued → sending) with a conditional update, so two server
processes never send it twice; a failure is recorded on the message and
retried with growing delays until MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..domain_errors import Conflict, Invalid, NotFound
from ..models import MailMessage, utcnow
from ..settings import Settings
from . import audit

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
STUCK_SENDING = dt.timedelta(minutes=10)  # a process died while sending: try again
SMTP_TIMEOUT = 15


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0


def queue(
    db: Session, *, to: str, subject: str, body: str, actor: str, customer_id: int | None = None
) -> MailMessage:
    """Add a message to the outgoing queue (in the caller's transaction)."""
    to = to.strip()
    if not to or "@" not in to or any(c in to for c in "\r\n,;<>"):
        raise Invalid("invalid_email", "Enter one e-mail address, such as anna@example.se.")
    message = MailMessage(to_address=to[:254], subject=subject[:200], body=body, customer_id=customer_id)
    db.add(message)
    db.flush()
    audit.record(db, actor, "mail_queued", customer_id, message=message.id, subject=subject[:80])
    return message


def _english(message: str, **values: object) -> str:
    return message.format(**values) if values else message


def card_link_message(shop_name: str, first_name: str, url: str, code: str,
                      _: Callable[..., str] = _english) -> tuple[str, str]:
    """Subject and text of the e-mail that gives a customer their card link (``_``: the shop language's gettext)."""
    greeting = _("Hello {name},", name=first_name) if first_name else _("Hello,")
    body = "\n\n".join((
        greeting,
        _("Here is your membership card at {shop}: {code}", shop=shop_name, code=code),
        _("Open this link on your phone to show its QR code at the counter:") + "\n" + url,
        _("Save a screenshot of the code; next time, press Scan ID on the screen at the counter and show it to "
          "the camera."),
        _("Best regards,") + "\n" + shop_name,
    )) + "\n"
    return _("Your membership card at {shop}", shop=shop_name), body


def _sender(settings: Settings) -> str:
    options = parse_qs(urlsplit(settings.smtp_url).query) if settings.smtp_url else {}
    if options.get("from"):
        return options["from"][0]
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"{settings.shop_name} <no-reply@{host}>"


def build(settings: Settings, message: MailMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = _sender(settings)
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(domain=urlsplit(settings.base_url).hostname or "localhost")
    email.set_content(message.body)
    return email


def _send_smtp(url: str, email: EmailMessage) -> None:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=SMTP_TIMEOUT,
                                                context=ssl.create_default_context())
    elif parts.scheme == "smtp":
        client = smtplib.SMTP(host, parts.port or 25, timeout=SMTP_TIMEOUT)
    else:
        raise ValueError(f"smtp_url must start with smtp:// or smtps://, not {parts.scheme}://")
    with client:
        if parts.scheme == "smtp" and options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(email)


def _write_outbox(directory: Path, message_id: int, email: EmailMessage) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = directory / f"{utcnow():%Y%m%dT%H%M%S}-{message_id:06d}.eml"
    partial = final.with_suffix(".part")
    try:
        # 0600 whatever the umask: a message holds an address and a card's link.
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(bytes(email))
        os.replace(partial, final)  # a reader never sees half a message
    except OSError:
        partial.unlink(missing_ok=True)  # a full disk leaves no half message behind
        raise
    return final


def transmit(settings: Settings, message: MailMessage) -> None:
    """Hand one message to the SMTP server or the file outbox; raise on failure."""
    email = build(settings, message)
    if settings.smtp_url:
        _send_smtp(settings.smtp_url, email)
    else:
        _write_outbox(Path(settings.mail_outbox_dir), message.id, email)


def _claim(db: Session, message_id: int) -> bool:
    stmt = update(MailMessage).where(MailMessage.id == message_id, MailMessage.status == "queued").values(status="sending")
    claimed = db.execute(stmt).rowcount == 1
    db.commit()
    return claimed


def has_work(db: Session) -> bool:
    """Whether anything is due or stuck; a cheap read, so that an idle loop never takes SQLite's write lock."""
    now = utcnow()
    due = or_(
        and_(MailMessage.status == "queued",
             or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now)),
        and_(MailMessage.status == "sending", MailMessage.next_attempt_at < now - STUCK_SENDING),
    )
    return db.execute(select(MailMessage.id).where(due).limit(1)).first() is not None


def deliver_due(sessions, settings: Settings, *, limit: int = 20) -> Delivery:
    """Send what is due now; record each outcome on its message."""
    result = Delivery()
    now = utcnow()
    with sessions() as db:
        db.execute(
            update(MailMessage)
            .where(MailMessage.status == "sending", MailMessage.next_attempt_at < now - STUCK_SENDING)
            .values(status="queued")
        )
        db.commit()
        due = db.execute(
            select(MailMessage.id)
            .where(
                MailMessage.status == "queued",
                or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now),
            )
            .order_by(MailMessage.id)
            .limit(limit)
        ).scalars().all()
    for message_id in due:
        with sessions() as db:
            if not _claim(db, message_id):
                continue  # another process has it
            message = db.get(MailMessage, message_id)
            message.attempts += 1
            message.next_attempt_at = utcnow()  # when it started sending, for the stuck check
            db.commit()
            try:
                transmit(settings, message)
            except (OSError, smtplib.SMTPException, ValueError) as exc:
                _failed(message, exc)
                result.failed += 1
            else:
                message.status, message.sent_at, message.error = "sent", utcnow(), ""
                result.sent += 1
            db.commit()
    return result


def _failed(message: MailMessage, exc: Exception) -> None:
    message.error = f"Attempt {message.attempts}: {type(exc).__name__}: {exc}"[:1000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
        message.next_attempt_at = None
    else:
        message.status = "queued"
        delay = RETRY_BASE_SECONDS * 2 ** (message.attempts - 1)
        message.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
    log.warning("Mail %s to %s not sent: %s", message.id, message.to_address, message.error)


def retry(db: Session, message: MailMessage, *, actor: str) -> None:
    """Send a failed message again now (a manager fixed the address or the mail server)."""
    if message.status == "sent":
        raise Conflict("mail_already_sent", "This message has already been sent.")
    message.status = "queued"
    message.next_attempt_at = None
    message.attempts = 0
    audit.record(db, actor, "mail_retried", message.customer_id, message=message.id)


def recent(db: Session, limit: int = 100) -> list[MailMessage]:
    return list(db.execute(select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)).scalars())


def get_message(db: Session, message_id: int) -> MailMessage:
    message = db.get(MailMessage, message_id)
    if message is None:
        raise NotFound("not_found", "There is no such message.")
    return message
