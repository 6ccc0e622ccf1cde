"""Translations, reports, attendance and told lines between a camp node and central: two
instances with their own databases (central a real server process on SQLite or PostgreSQL,
the node a second app on its own SQLite file). What the camp made arrives once under its own
ids, central's changes come back, a second sync sends nothing, and the rules decide the
conflicts, listed on both sides."""
import uuid
from datetime import date

from sqlalchemy import func, select

from kultialogo import limits
from kultialogo.accounts.auth import create_account
from kultialogo.accounts.models import Account, Membership
from kultialogo.events import service as events
from kultialogo.events.models import Event, EventStory
from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from kultialogo.moderation.models import StoryReport
from kultialogo.nodes import replication, tokens
from kultialogo.nodes.models import NodeConflict
from kultialogo.records import Tombstone
from kultialogo.stories import service as stories
from kultialogo.stories.models import Story
from kultialogo.stories.schema import validate_content
from kultialogo.timeutil import isoformat
from kultialogo.translations import service as translations
from kultialogo.translations.models import StoryTranslation

from tests import factories
from tests.nodes.conftest import on_node


def write(author, title) -> uuid.UUID:
    story_id = uuid.uuid4()
    outcome = stories.write_one(author, story_id, validate_content(factories.story_data(title=title)))
    assert outcome.result == "created", outcome
    return story_id


def person(username) -> Account:
    return db.session.scalar(select(Account).where(Account.username == username))


def translation(sync_id) -> StoryTranslation | None:
    return db.session.scalar(select(StoryTranslation).where(StoryTranslation.sync_id == sync_id))


def report(sync_id) -> StoryReport | None:
    return db.session.scalar(select(StoryReport).where(StoryReport.sync_id == sync_id))


def attendance_of(event_id) -> tuple:
    """An event's attendance with people by username: comparable across the two databases."""
    event = db.session.get(Event, event_id)
    db.session.refresh(event)
    stored = events.stored_attendance(event)
    if stored is None:
        return None
    names = {a.id: a.username for a in db.session.scalars(select(Account))}
    attendees = {names[i]: {k: v for k, v in answers.items() if v} for i, answers in stored.attendees.items()}
    return stored.head_count, attendees, {d: counts for d, counts in stored.tallies.items() if counts}


def lines_at(event_id) -> set:
    return {(line.id, line.story_id) for line in db.session.scalars(
        select(EventStory).where(EventStory.event_id == event_id))}


def conflicts() -> set:
    return {(c.kind, c.rule) for c in db.session.scalars(select(NodeConflict))}


def it(title, body="Camminavamo lungo il fiume."):
    return {"title": title, "body": body, "translator_display": "pseudonym"}


def central_before_the_camp(live_server, node_app, reported=1):
    """Central: a community with a facilitator and two participants, published stories and an
    event; then a node for it, initialised."""
    siena = factories.community("siena")
    fatima = factories.account("fatima", community_slug="siena", role="facilitator")
    amina = factories.account("amina", community_slug="siena")
    factories.account("bilal", community_slug="siena")
    told = write(amina, "Before the camp")
    others = [write(amina, f"Story {n}") for n in range(reported)]
    for story_id in (told, *others):
        moderation.moderate(fatima, story_id, "publish")
    event = events.create_event(fatima, siena, events.clean_details("camp", "Summer camp", date(2026, 7, 14)))
    token, _row = tokens.issue(fatima, siena, label="Summer camp")
    on_node(node_app, lambda: replication.init(live_server.url, token))
    return siena, told, others, event.id


def camp_account(username, community_id) -> Account:
    account = create_account(username, factories.PASSWORD)
    db.session.add(Membership(account_id=account.id, community_id=community_id))
    db.session.commit()
    return account


def test_what_the_camp_made_arrives_once_and_central_changes_come_back(app, live_server, node_app):
    siena, told, others, event_id = central_before_the_camp(live_server, node_app,
                                                             reported=limits.REPORTS_PER_MINUTE + 1)

    # At the camp: a new participant tells a story and translates it (published at once: hers);
    # bilal translates another (pending: he neither wrote it nor facilitates); he reports more
    # stories than a person may report in a minute; the facilitator records the evening.
    def camp():
        fatima, amina, bilal = person("fatima"), person("amina"), person("bilal")
        zara = camp_account("zara", siena.id)
        made = write(zara, "Told at the camp")
        moderation.moderate(fatima, made, "publish")
        _, own = translations.put(zara, made, "it", it("Raccontata al campo"))
        _, pending = translations.put(bilal, told, "it", it("Prima del campo"))
        for story_id in others:
            moderation.report(bilal, story_id, "spam", "not a story")
        event = db.session.get(Event, event_id)
        events.record_attendance(fatima, event, events.Attendance(
            head_count=12, attendees={amina.id: {"gender": "woman"}, zara.id: {"age": "18_25"}},
            tallies={"gender": {"man": 3}}), events.Told(ticked={told, made}, offered={told, made}))
        reports = set(db.session.scalars(select(StoryReport.sync_id).where(StoryReport.reporter_id == bilal.id)))
        return (made, own.sync_id, pending.sync_id, reports, str(zara.uid), attendance_of(event_id),
                lines_at(event_id))
    made, own_id, pending_id, report_ids, zara_uid, camp_attendance, camp_lines = on_node(node_app, camp)
    assert len(report_ids) > limits.REPORTS_PER_MINUTE

    summary = on_node(node_app, replication.sync)
    assert summary["records"] >= 3 + len(report_ids)

    # On central, once each, under the camp's ids.
    db.session.rollback()  # a new read: what the server committed since
    zara = db.session.scalar(select(Account).where(Account.uid == uuid.UUID(zara_uid)))
    own, pending = translation(own_id), translation(pending_id)
    assert (own.story_id, own.language, own.title, own.status, own.translator_id) == (
        made, "it", "Raccontata al campo", "published", zara.id)
    assert (pending.story_id, pending.status, pending.translator_id) == (told, "pending", person("bilal").id)
    assert db.session.scalar(select(func.count()).select_from(StoryTranslation)) == 2
    # Every report arrived, though one person made more than a minute's budget: the node spent
    # it already, and a replica spends none.
    arrived = list(db.session.scalars(select(StoryReport)))
    assert {r.sync_id for r in arrived} == report_ids
    assert {r.reporter_id for r in arrived} == {person("bilal").id}
    assert all(r.note == "not a story" and r.resolved_at is None for r in arrived)
    assert attendance_of(event_id) == camp_attendance == (
        12, {"amina": {"gender": "woman"}, "zara": {"age": "18_25"}}, {"gender": {"man": 3}})
    assert lines_at(event_id) == camp_lines and {story for _id, story in camp_lines} == {told, made}
    assert db.session.get(Story, told).status == "published"  # a replicated report hides nothing by itself
    assert conflicts() == set()

    # Nothing sent twice.
    assert on_node(node_app, replication.sync)["records"] == 0

    # Central's changes go to the camp: the translation published in review, the reports of one
    # story dealt with, the attendance corrected and one told line taken back.
    fatima = person("fatima")
    translations.review(fatima, pending.id, translations.PUBLISH)
    moderation.resolve_reports(fatima, others[0], moderation.DISMISS)
    event = db.session.get(Event, event_id)
    events.record_attendance(fatima, event, events.Attendance(
        head_count=14, attendees={person("amina").id: {"gender": "woman"}, zara.id: {"age": "18_25"}},
        tallies={"gender": {"man": 4}}), events.Told(ticked={made}, offered={told, made}))
    assert on_node(node_app, replication.sync)["records"] > 0

    def at_camp():
        names = {a.id: a.username for a in db.session.scalars(select(Account))}
        dealt = {r.story_id: (r.resolved_at is not None, names.get(r.resolved_by_id))
                 for r in db.session.scalars(select(StoryReport))}
        return translation(pending_id).status, dealt, attendance_of(event_id), lines_at(event_id)
    status, dealt, attendance, lines = on_node(node_app, at_camp)
    assert status == "published"
    assert dealt[others[0]] == (True, "fatima") and not any(done for s, (done, _by) in dealt.items() if s != others[0])
    assert attendance == (14, {"amina": {"gender": "woman"}, "zara": {"age": "18_25"}}, {"gender": {"man": 4}})
    assert {story for _id, story in lines} == {made}
    assert on_node(node_app, replication.sync)["records"] == 0


def test_both_sides_changed_central_keeps_its_own_and_the_conflicts_are_listed(app, live_server, node_app):
    siena, told, others, event_id = central_before_the_camp(live_server, node_app)

    def camp():
        fatima, amina, bilal = person("fatima"), person("amina"), person("bilal")
        _, pending = translations.put(bilal, told, "it", it("Prima del campo"))
        moderation.report(bilal, others[0], "other")
        events.record_attendance(fatima, db.session.get(Event, event_id), events.Attendance(
            head_count=10, attendees={amina.id: {}}), events.Told(ticked={told}, offered={told}))
        return pending.sync_id, db.session.scalar(select(StoryReport.sync_id))
    translation_id, report_id = on_node(node_app, camp)
    on_node(node_app, replication.sync)

    # Then both sides change the same records before the next sync.
    def camp_again():
        fatima, bilal = person("fatima"), person("bilal")
        translations.put(bilal, told, "it", it("Prima del campo", "Al campo lo raccontammo così."))
        events.record_attendance(fatima, db.session.get(Event, event_id), events.Attendance(head_count=20))
        moderation.resolve_reports(fatima, others[0], moderation.DISMISS)
    on_node(node_app, camp_again)
    db.session.rollback()  # a new read: what the server committed since
    fatima = person("fatima")
    translations.put(fatima, told, "it", it("Prima del campo", "In città lo raccontammo così."))
    events.record_attendance(fatima, db.session.get(Event, event_id), events.Attendance(head_count=15))
    moderation.resolve_reports(fatima, others[0], moderation.HIDE, reason="spam")
    central_resolved = isoformat(report(report_id).resolved_at)

    on_node(node_app, replication.sync)

    # Central kept its own: the translation's text, the attendance, its decision on the report.
    db.session.rollback()  # a new read: what the server committed since
    assert translation(translation_id).body == "In città lo raccontammo così."
    assert attendance_of(event_id)[0] == 15
    assert isoformat(report(report_id).resolved_at) == central_resolved
    expected = {("translation", "content_conflict"), ("attendance", "content_conflict"),
                ("report", "central_moderation_wins")}
    assert expected <= conflicts()

    # The camp took central's, and lists the same conflicts.
    def at_camp():
        return (translation(translation_id).body, attendance_of(event_id)[0],
                isoformat(report(report_id).resolved_at) == central_resolved, conflicts())
    body, head_count, same_resolution, listed = on_node(node_app, at_camp)
    assert (body, head_count, same_resolution) == ("In città lo raccontammo così.", 15, True)
    assert {("translation", "content_conflict"), ("attendance", "content_conflict")} <= listed
    assert on_node(node_app, replication.sync)["records"] == 0


def test_a_withdrawal_at_the_camp_takes_its_translations_reports_and_told_lines(app, live_server, node_app):
    siena, told, _others, event_id = central_before_the_camp(live_server, node_app)
    fatima = person("fatima")
    _, central_translation = translations.put(fatima, told, "fr", it("Avant le camp", "Nous marchions."))
    french_id = central_translation.sync_id

    def camp():
        bilal = person("bilal")
        _, italian = translations.put(bilal, told, "it", it("Prima del campo"))
        moderation.report(bilal, told, "personal_data")
        events.record_attendance(person("fatima"), db.session.get(Event, event_id), events.Attendance(head_count=5),
                                 events.Told(ticked={told}, offered={told}))
        return italian.sync_id, db.session.scalar(select(StoryReport.sync_id))
    italian_id, report_id = on_node(node_app, camp)
    on_node(node_app, replication.sync)  # central's French translation reaches the camp too
    db.session.rollback()  # a new read: what the server committed since
    assert translation(italian_id) is not None and report(report_id) is not None and lines_at(event_id)

    def withdraw():
        assert translation(french_id) is not None
        stories.withdraw_one(person("amina"), told)
    on_node(node_app, withdraw)
    on_node(node_app, replication.sync)

    db.session.rollback()  # a new read: what the server committed since
    assert db.session.get(Story, told).status == "withdrawn"
    assert translation(italian_id) is None and translation(french_id) is None
    assert report(report_id) is None and lines_at(event_id) == set()
    buried = {(t.kind, t.record_id) for t in db.session.scalars(select(Tombstone))}
    assert {("translation", str(italian_id)), ("translation", str(french_id)), ("report", str(report_id))} <= buried
    assert on_node(node_app, replication.sync)["records"] == 0


def test_records_whose_story_comes_in_a_later_chunk_wait_for_it(app, live_server, node_app, monkeypatch):
    # One record a chunk and a page: a translation published by its story's author gives the
    # story a later revision, so the story comes after it, both ways.
    monkeypatch.setattr(replication, "PULL_PAGE", 1)
    monkeypatch.setattr(replication, "CHUNK_ITEMS", 1)
    siena = factories.community("siena")
    fatima = factories.account("fatima", community_slug="siena", role="facilitator")
    amina = factories.account("amina", community_slug="siena")
    told = write(amina, "Before the camp")
    moderation.moderate(fatima, told, "publish")
    _, central_one = translations.put(amina, told, "it", it("Prima del campo"))
    assert central_one.revision < db.session.get(Story, told).revision
    token, _row = tokens.issue(fatima, siena)
    on_node(node_app, lambda: replication.init(live_server.url, token))
    assert on_node(node_app, lambda: translation(central_one.sync_id).title) == "Prima del campo"

    def camp():
        zara = camp_account("zara", siena.id)
        made = write(zara, "Told at the camp")
        moderation.moderate(person("fatima"), made, "publish")
        _, own = translations.put(zara, made, "it", it("Raccontata al campo"))
        return made, own.sync_id
    made, own_id = on_node(node_app, camp)
    on_node(node_app, replication.sync)

    db.session.rollback()  # a new read: what the server committed since
    assert translation(own_id).story_id == made and translation(own_id).status == "published"
    assert on_node(node_app, replication.sync)["records"] == 0
