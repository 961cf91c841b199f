"""The demo seed's groups (real criteria, named in the shop's language), its door scanner "Entré" at "Dörren",
verifying Friends, and its sales history in date order."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.db import make_engine, make_sessionmaker, migrate
from backoffice.demo import DOOR_KIOSK, DOOR_TOKEN_FILE, seed_demo
from backoffice.models import CustomerGroup, CustomerTag, GroupMember, Kiosk, Membership, Sale
from backoffice.security import Vault, hash_token
from backoffice.services import verify
from backoffice.settings import ensure_secret, load_settings
from tests.support.database import fresh_database

NAMES = {"sv": ("Vänner", "Vän", "stamkund"), "en": ("Friends", "Friend", "regular")}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_seed_demo_gives_the_groups_criteria_and_pairs_a_door_scanner_once(tmp_path, language):
    friends, plan, regular = NAMES[language]
    with fresh_database(tmp_path) as url:
        settings = ensure_secret(load_settings(environ={}, data_dir=tmp_path, database_url=url,
                                               shop_language=language))
        migrate(settings.database_url)
        engine = make_engine(settings.database_url, pooled=False)
        vault = Vault(settings.secret_key)
        try:
            with make_sessionmaker(engine)() as db:
                first = seed_demo(db, vault, customers=40, settings=settings)
                db.commit()
            token_path = tmp_path / DOOR_TOKEN_FILE
            token = token_path.read_text().strip()
            assert oct(token_path.stat().st_mode & 0o777) == "0o600"
            assert token in first.summary() and "verify mode" in first.summary()
            with make_sessionmaker(engine)() as db:
                groups = {g.name: g for g in db.execute(select(CustomerGroup)).scalars()}
                assert groups[friends].criteria == {"match": "all", "rules": [
                    {"field": "membership", "op": "active", "plan": plan}]}
                assert groups["VIP"].criteria["rules"][0]["value"] == "vip"
                assert all(g.member_count > 0 for g in groups.values() if g.name in (friends, "VIP"))
                assert set(db.execute(select(Membership.plan)).scalars()) == {plan}
                assert regular in set(db.execute(select(CustomerTag.tag)).scalars())
                door = db.execute(select(Kiosk).where(Kiosk.name == DOOR_KIOSK)).scalar_one()
                assert door.mode == "verify" and door.verify_group_ids == [groups[friends].id]
                assert door.token_hash == hash_token(token) and door.register.name == "Dörren"
                anna_vip = db.execute(select(GroupMember).where(GroupMember.group_id == groups["VIP"].id,
                                                                GroupMember.manual.is_(True))).scalars().all()
                assert len(anna_vip) == 1  # Anna, by hand; the other VIPs by their tag
                answer = verify.verify(db, vault, door.id, "card_code", "DEMO-00000001", region="SE")
                assert answer["result"] == "success" and answer["customer"]["first_name"] == "Anna"
                assert [g["name"] for g in answer["customer"]["groups"]] == [friends, "VIP"]
                sold = db.execute(select(Sale).order_by(Sale.receipt_number.desc())).scalars().all()
                assert len(sold) == 60
                assert [s.closed_at for s in sold] == sorted((s.closed_at for s in sold), reverse=True)
                assert all(s.closed_at > s.opened_at for s in sold)
                db.rollback()
            with make_sessionmaker(engine)() as db:
                again = seed_demo(db, vault, customers=40, settings=settings)
                db.commit()
                assert again.door_token == token and again.customers_created == 0
                assert len(db.execute(select(Kiosk).where(Kiosk.name == DOOR_KIOSK)).scalars().all()) == 1
        finally:
            engine.dispose()
