"""Node and central through a link that drops connections, cuts answers after central acted,
duplicates and delays requests and answers 502: 2,000 stories with photos made at the camp
and 500 on central, synced both ways; each is stored exactly once on each side, and every
photo has the same bytes on both."""
import hashlib
import uuid

from sqlalchemy import func, select

from kultialogo import records
from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.media import service as media_service
from kultialogo.media.models import MediaFile
from kultialogo.media.store import get_store
from kultialogo.nodes import replication, tokens
from kultialogo.stories.models import Story
from kultialogo.sync import engine

from tests import factories
from tests.faultproxy import FaultProxy
from tests.nodes.conftest import photo

AT_CAMP, AT_CENTRAL = 2000, 500


def tell(username: str, prefix: str, n: int) -> None:
    """``n`` stories, each with its own photo, as phones would push them (100 a push)."""
    author = db.session.scalar(select(Account).where(Account.username == username))
    for start in range(0, n, 100):
        items = []
        for i in range(start, min(n, start + 100)):
            sha = media_service.ingest_upload(author, photo(i + (7 if prefix == "camp" else 9000)))
            items.append(factories.item(uuid.uuid4(), title=f"{prefix} {i}", media=[sha]))
        assert all(r.result == records.CREATED for _i, r in engine.push(author, items))


def census() -> tuple[dict, dict]:
    """Stories by title (how many of each), and the stored photos' checksums by name."""
    db.session.rollback()
    titles = dict(db.session.execute(select(Story.title, func.count()).group_by(Story.title)).all())
    store = get_store()
    files = {m.sha256: hashlib.sha256(store.local_path(m.sha256).read_bytes()).hexdigest()
             for m in db.session.scalars(select(MediaFile))}
    return titles, files


def test_both_ways_through_a_bad_link_everything_once(app, live_server, node):
    siena = factories.community("siena", moderation="trusted")
    fatima = factories.account("fatima", community_slug="siena", role="facilitator")
    factories.account("amina", community_slug="siena")
    token, _row = tokens.issue(fatima, siena, label="camp")
    with FaultProxy(live_server.url, seed=15) as proxy:
        node.run(lambda: replication.init(proxy.url, token))
        tell("fatima", "central", AT_CENTRAL)
        node.run(lambda: tell("amina", "camp", AT_CAMP))
        proxy.set(drop_rate=0.05, cut_after_rate=0.08, duplicate_rate=0.05, error_502_rate=0.05,
                  delay_rate=0.1, delay_s=(0.0, 0.05))
        summary = node.run(replication.sync)
        faults = proxy.stats
    assert faults["dropped"] and faults["cut"] and faults["duplicated"] and faults["errors_502"], faults
    assert summary["pushed"] >= AT_CAMP and summary["pulled"] >= AT_CENTRAL

    central_titles, central_files = census()
    node_titles, node_files = node.run(census)
    for titles in (central_titles, node_titles):
        camp = {t: n for t, n in titles.items() if t.startswith("camp ")}
        from_central = {t: n for t, n in titles.items() if t.startswith("central ")}
        assert len(camp) == AT_CAMP and set(camp.values()) == {1}
        assert len(from_central) == AT_CENTRAL and set(from_central.values()) == {1}
    assert len(central_files) == len(node_files) == AT_CAMP + AT_CENTRAL
    assert central_files == node_files  # every photo, byte for byte, on both sides
