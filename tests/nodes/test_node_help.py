"""Help requests between a camp node and central: a request and its messages written at the camp
reach central once under their ids, the mediator's answer given on central reaches the camp, and
on both sides only the asker and the community's mediators and coaches see them."""
import uuid

from sqlalchemy import func, select

from kultialogo import policy
from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.help import service as help_service
from kultialogo.help.models import HelpMessage, HelpRequest
from kultialogo.nodes import replication, tokens
from kultialogo.records import REPLICATE, get
from tests import factories
from tests.nodes.conftest import on_node

QUESTION = "ابني عمره سبع سنوات. كيف أسجله في المدرسة؟"
MORE = "نسكن قرب المحطة."
ANSWER = "Vieni lunedì alle 10 in Comune, con il codice fiscale."


def person(username) -> Account:
    return db.session.scalar(select(Account).where(Account.username == username))


def thread(request_id) -> tuple:
    """The request as this side holds it, comparable across the two databases."""
    db.session.rollback()
    found = help_service.find(request_id)
    if found is None:
        return None
    return (found.asker.username, found.topic, found.language, found.body, found.state,
            found.claimed_by.username if found.claimed_by else None, found.first_answer_at is not None,
            [(str(m.sync_id), m.author.username, m.body) for m in found.messages])


def counts() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(HelpRequest)),
            db.session.scalar(select(func.count()).select_from(HelpMessage)))


def who_sees(request_id) -> set[str]:
    """Everyone on this side who may see the request, and who gets it in a pull."""
    db.session.rollback()
    found = help_service.find(request_id)
    kind = get("help_request")
    seen = set()
    for account in db.session.scalars(select(Account)):
        page = kind.changes(account, 0, 100)
        if policy.can_see_help_request(account, found):
            seen.add(account.username)
        assert (str(request_id) in {item["id"] for _rev, item in page}) == policy.can_see_help_request(account, found)
    return seen


def test_a_request_made_at_the_camp_reaches_central_once_and_the_answer_comes_back(app, live_server, node_app):
    siena = factories.community("siena")
    factories.account("fatima", community_slug="siena", role="facilitator")  # facilitates, does not mediate
    mona = factories.account("mona", community_slug="siena", role="facilitator")
    factories.account("amina", community_slug="siena")
    factories.account("root", is_admin=True)
    factories.helps(mona, "siena", mediator=True)
    token, _row = tokens.issue(person("fatima"), siena, label="Summer camp")
    on_node(node_app, lambda: replication.init(live_server.url, token))
    request_id, more_id = uuid.uuid4(), uuid.uuid4()

    def at_the_camp():
        amina = person("amina")
        with help_service.writing() as revs:
            outcome = help_service.ask(amina, amina.memberships[0].community_id, "education_school", "ar",
                                       QUESTION, revs, sync_id=request_id)
        with help_service.writing() as revs:
            help_service.answer(amina, outcome.request, MORE, revs, sync_id=more_id)
        # The node knows who mediates: central said so with the accounts.
        return who_sees(request_id)

    assert on_node(node_app, at_the_camp) == {"amina", "mona"}
    on_node(node_app, replication.sync)
    expected = ("amina", "education_school", "ar", QUESTION, "open", None, False,
                [(str(more_id), "amina", MORE)])
    assert thread(request_id) == expected
    assert counts() == (1, 1)
    assert who_sees(request_id) == {"amina", "mona"}

    # On central the mediator answers (which claims it); the next sync brings it to the camp.
    answer_id = uuid.uuid4()
    with help_service.writing() as revs:
        help_service.answer(person("mona"), help_service.find(request_id), ANSWER, revs, sync_id=answer_id)
    on_node(node_app, replication.sync)
    answered = ("amina", "education_school", "ar", QUESTION, "claimed", "mona", True,
                [(str(more_id), "amina", MORE), (str(answer_id), "mona", ANSWER)])
    assert on_node(node_app, lambda: thread(request_id)) == answered
    assert thread(request_id) == answered
    assert on_node(node_app, counts) == counts() == (1, 2)
    assert on_node(node_app, lambda: who_sees(request_id)) == {"amina", "mona"}

    # A second sync changes nothing, on either side.
    on_node(node_app, replication.sync)
    assert on_node(node_app, lambda: thread(request_id)) == thread(request_id) == answered
    assert on_node(node_app, counts) == counts() == (1, 2)


def test_a_close_at_the_camp_and_a_claim_on_central_both_stand(app, live_server, node_app):
    """A request moves only forward: central's claim and the camp's close merge to a closed
    request, claimed by central's mediator, with the camp's outcome."""
    siena = factories.community("siena")
    factories.account("fatima", community_slug="siena", role="facilitator")
    mona = factories.account("mona", community_slug="siena", role="facilitator")
    amina = factories.account("amina", community_slug="siena")
    factories.helps(mona, "siena", coach=True)
    request_id = uuid.uuid4()
    with help_service.writing() as revs:
        help_service.ask(amina, siena.id, "work", "en", "I need a CV", revs, sync_id=request_id)
    token, _row = tokens.issue(person("fatima"), siena, label="Summer camp")
    on_node(node_app, lambda: replication.init(live_server.url, token))
    with help_service.writing() as revs:
        help_service.claim(person("mona"), help_service.find(request_id), revs)

    def close_at_the_camp():
        with help_service.writing() as revs:
            help_service.close(person("amina"), help_service.find(request_id), "no_longer_needed", revs)
    on_node(node_app, close_at_the_camp)
    on_node(node_app, replication.sync)
    for side in (lambda fn: fn(), lambda fn: on_node(node_app, fn)):
        def state():
            db.session.rollback()
            found = help_service.find(request_id)
            return found.state, found.outcome, found.claimed_by.username if found.claimed_by else None
        assert side(state) == ("closed", "no_longer_needed", "mona")
    assert REPLICATE in get("help_request").ops and REPLICATE in get("help_message").ops


def test_a_request_asked_by_voice_at_the_camp_reaches_central_with_its_recording(app, live_server, node_app):
    """The recording travels before the request (nodes/replication.py send_media), is stored
    once on central and heard there by the community's mediator, and nobody else."""
    import io

    from kultialogo.media import service as media_service
    from kultialogo.media.models import MediaFile
    from kultialogo.media.store import get_store
    from tests.media import tus

    siena = factories.community("siena")
    factories.account("fatima", community_slug="siena", role="facilitator")
    mona = factories.account("mona", community_slug="siena", role="facilitator")
    factories.account("amina", community_slug="siena")
    factories.account("bojan", community_slug="siena")
    factories.helps(mona, "siena", mediator=True)
    token, _row = tokens.issue(person("fatima"), siena, label="Summer camp")
    on_node(node_app, lambda: replication.init(live_server.url, token))
    request_id = uuid.uuid4()

    def ask_by_voice_at_the_camp():
        amina = person("amina")
        sha256 = media_service.ingest_upload(amina, io.BytesIO(tus.tone("ogg")), audio_only=True)
        with help_service.writing() as revs:
            help_service.ask(amina, amina.memberships[0].community_id, "documents", "ar", "", revs,
                             sync_id=request_id, media=[sha256])
        return sha256, get_store().local_path(sha256).read_bytes()

    sha256, data = on_node(node_app, ask_by_voice_at_the_camp)
    on_node(node_app, replication.sync)
    db.session.rollback()
    found = help_service.find(request_id)
    assert found is not None and list(found.media) == [sha256] and found.body == ""
    assert db.session.get(MediaFile, sha256) is not None
    assert get_store().local_path(sha256).read_bytes() == data
    assert media_service.referencing_stories(sha256) == []  # a help recording, not a story's
    from kultialogo import attachments
    assert attachments.named_in_community(sha256, siena.id)
    heard = {name for name in ("amina", "mona", "bojan", "fatima")
             if any(r.may_hear(person(name), sha256) for r in attachments.referrers())}
    assert heard == {"amina", "mona"}
    # A second sync sends nothing again.
    on_node(node_app, replication.sync)
    assert counts() == (1, 0)
