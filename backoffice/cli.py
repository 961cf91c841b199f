"""The ``backoffice`` command: serve, migrate, backup, restore, seed-demo, create-staff, pair-kiosk, create-api-key."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

from . import backup as backups
from .db import make_engine, make_sessionmaker, migrate
from .domain_errors import DomainError, NotFound
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


def _sqlite_only(settings: Settings, what: str) -> Path | None:
    path = settings.sqlite_path
    if path is None:
        print(f"backoffice: the database is not SQLite; {what} it with PostgreSQL's own tools: "
              "pg_dump --format=custom --file=backoffice.dump \"$DATABASE_URL\" to back up, "
              "pg_restore --clean --if-exists --dbname=\"$DATABASE_URL\" backoffice.dump to restore.",
              file=sys.stderr)
    return path


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    database = _sqlite_only(settings, "back up")
    if database is None:
        return 2
    keep = args.keep if args.keep is not None else settings.backup_keep
    target = Path(args.path) if args.path else None
    if target is not None and target.is_dir():
        result = backups.backup(database, directory=target, keep=keep)
    else:
        result = backups.backup(database, target, keep=keep)
    print(f"Backed up {database} to {result.path} ({result.size:,} bytes).")
    for path in result.removed:
        print(f"Removed the old backup {path.name}.")
    print("Phone numbers and personal IDs in it are encrypted with the server's secret key "
          f"({settings.data_dir / 'secret.key'} or BACKOFFICE_SECRET_KEY): keep a copy of the key apart from "
          "the backups, or they cannot be read.")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    database = _sqlite_only(settings, "restore")
    if database is None:
        return 2
    kept = backups.restore(Path(args.path), database, settings.database_url, force=args.force)
    print(f"Restored {database} from {args.path}.")
    if kept.exists():
        print(f"The database as it was is kept at {kept}.")
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
        except NotFound:
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
        kiosk = devices.get_kiosk(db, args.kiosk_id)
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

    p = sub.add_parser("backup", help="Copy the SQLite database while the server runs (timestamped, 0600)")
    p.add_argument("path", nargs="?", help="A file or directory (default: the data dir's backups/)")
    p.add_argument("--keep", type=int, help="How many timestamped backups to keep in the directory")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="Replace the SQLite database with a backup (checked first)")
    p.add_argument("path", help="The backup file")
    p.add_argument("--force", action="store_true", help="Restore even while a server runs on this data dir")
    p.set_defaults(func=cmd_restore)

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
    except (SettingsError, DomainError, backups.BackupError) as exc:
        print(f"backoffice: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
