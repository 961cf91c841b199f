"""The ``backoffice`` command: serve, migrate, seed-demo, create-staff, pair-kiosk, create-api-key."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from sqlalchemy import select

from .db import make_engine, make_sessionmaker, migrate
from .errors import ApiError
from .models import Kiosk
from .security import Vault
from .services import devices, sales
from .settings import Settings, SettingsError, ensure_secret, load_settings

log = logging.getLogger("backoffice")


def _session(settings: Settings):
    migrate(settings.database_url)
    return make_sessionmaker(make_engine(settings.database_url, pooled=False))()


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    # Workers re-read the environment, so pass the resolved choices through it.
    os.environ["BACKOFFICE_HOST"] = host
    os.environ["BACKOFFICE_PORT"] = str(port)
    os.environ["BACKOFFICE_DATA_DIR"] = str(settings.data_dir)
    migrate(settings.database_url)
    print(f"Backoffice on http://{host}:{port}  (console: http://{host}:{port}/console, API docs: /api/docs)")
    uvicorn.run(
        "backoffice.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        proxy_headers=True,
        timeout_graceful_shutdown=5,
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate(settings.database_url)
    print("Database is up to date.")
    return 0


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    from .demo import seed_demo

    with _session(settings) as db:
        result = seed_demo(db, Vault(settings.secret_key), customers=args.customers, settings=settings)
        db.commit()
    print(result.summary())
    return 0


def cmd_create_staff(args: argparse.Namespace, settings: Settings) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    with _session(settings) as db:
        register = sales.get_register(db, args.register) if args.register else None
        user = devices.create_staff(db, args.username, password, args.role, display_name=args.name, register=register)
        db.commit()
        print(f"Created {user.role} {user.username}.")
    return 0


def cmd_pair_kiosk(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as db:
        try:
            register = sales.get_register(db, args.register)
        except ApiError:
            if not args.create_register:
                raise
            register = devices.create_register(db, args.register)
        kiosk, token = devices.pair_kiosk(db, register, args.name, actor="cli")
        db.commit()
    print(f"Kiosk {kiosk.name!r} (id {kiosk.id}) paired with register {register.name!r}.")
    print("Device token (shown only now; put it in /etc/kiosk/kiosk.ini):")
    print(token)
    return 0


def cmd_revoke_kiosk(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as db:
        kiosk = db.execute(select(Kiosk).where(Kiosk.id == args.kiosk_id)).scalar_one_or_none()
        if kiosk is None:
            raise ApiError(404, "kiosk_not_found", f"There is no kiosk with id {args.kiosk_id}.")
        devices.revoke_kiosk(db, kiosk, actor="cli")
        db.commit()
    print(f"Kiosk {args.kiosk_id} unpaired.")
    return 0


def cmd_create_api_key(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as db:
        _, token = devices.create_api_key(db, args.name, actor="cli")
        db.commit()
    print("API key (shown only now):")
    print(token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="backoffice", description="The counter kiosk's backoffice server.")
    parser.add_argument("--data-dir", help="Where the SQLite file, secret key and mail outbox live")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="Run the HTTP server (applies migrations first)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="Create or upgrade the database")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed-demo", help="Fill a demo register, kiosk, staff and customers")
    p.add_argument("--customers", type=int, default=300)
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("create-staff", help="Create a cashier or manager login")
    p.add_argument("username")
    p.add_argument("--role", choices=devices.ROLES, default="cashier")
    p.add_argument("--name", default="")
    p.add_argument("--register", help="The register this cashier usually works at")
    p.add_argument("--password-stdin", action="store_true", help="Read the password from standard input")
    p.set_defaults(func=cmd_create_staff)

    p = sub.add_parser("pair-kiosk", help="Pair a kiosk with a register and print its device token once")
    p.add_argument("--register", required=True)
    p.add_argument("--name", default="")
    p.add_argument("--create-register", action="store_true", help="Create the register if it does not exist")
    p.set_defaults(func=cmd_pair_kiosk)

    p = sub.add_parser("revoke-kiosk", help="Unpair a kiosk (its token stops working)")
    p.add_argument("kiosk_id", type=int)
    p.set_defaults(func=cmd_revoke_kiosk)

    p = sub.add_parser("create-api-key", help="Create an API key for a POS integration")
    p.add_argument("name")
    p.set_defaults(func=cmd_create_api_key)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        overrides = {"data_dir": args.data_dir} if args.data_dir else {}
        settings = ensure_secret(load_settings(**overrides))
        return args.func(args, settings)
    except (SettingsError, ApiError) as exc:
        print(f"backoffice: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
