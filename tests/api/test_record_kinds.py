"""Record kinds through the one sync engine: mixed batches, per-item answers, conflicts, and a
pull of every kind behind one cursor that shows nobody what they may not see (docs/sync.md)."""
import random
import threading
import uuid
from collections import Counter
from datetime import date

import pytest
import requests
from sqlalchemy import select

from kultialogo import limits
from kultialogo.sync.service import PROTOCOL_VERSION
from kultialogo.events import service as event_service
from kultialogo.events.models import Event, EventStory
from kultialogo.extensions import db
from kultialogo.moderation.models import StoryReport
from kultialogo.stories.models import Story
from kultialogo.translations.models import StoryTranslation
from tests import factories as f

from .conftest import PULL, PUSH, count_rows, direct_token, pull_all, push, push_one

ALL_KINDS = "story,translation,report,attendance,attendance_story"


def translation(story_id, language="it", title="Una passeggiata", body="Abbiamo camminato lungo il fiume.",
                record_id=None, op="upsert", base_etag=None):
    out = {"type": "translation", "op": op, "id": str(record_id or uuid.uuid4()), "base_etag": base_etag}
    if op == "upsert":
        out["data"] = {"story": str(story_id), "language": language, "title": title, "body": body}
    return out


def report(story_id, reason="spam", note="", record_id=None):
    return {"type": "report", "id": str(record_id or uuid.uuid4()),
            "data": {"story": str(story_id), "reason": reason, "note": note}}


def pull_kinds(client, person=None, kinds=ALL_KINDS, limit=500, cursor=None) -> tuple[list, str]:
    return pull_all(client, person, limit=limit, cursor=cursor, kinds=kinds)


def of_type(items, type_) -> dict:
    return {item["id"]: item for item in items if item["type"] == type_}


# --- Push ------------------------------------------------------------------------------------

def test_a_mixed_batch_is_answered_item_by_item(client, people):
    """A story, its translation (reading the story the same push created) and a report of
    someone else's story go in one push; a bad item is refused on its own."""
    fatima, amina = people["facilitator_a"], people["participant_a"]
    published = f.item(title="The market", visibility="community")
    assert push_one(client, fatima, published)["result"] == "created"
    story = f.item(visibility="community")
    items = [story, translation(story["id"]), report(published["id"], note="An address in it"),
             translation(story["id"], language="xx-not a tag"), {"type": "poll", "id": str(uuid.uuid4())}]
    results = push(client, amina, *items)
    assert [r["result"] for r in results] == ["created", "created", "created", "rejected", "rejected"]
    assert [r["type"] for r in results] == ["story", "translation", "report", "translation", "poll"]
    assert [r["id"] for r in results] == [i["id"] for i in items]
    assert results[0]["story"] == results[0]["record"] and results[0]["record"]["title"] == story["data"]["title"]
    assert results[1]["record"]["story"] == story["id"] and results[1]["record"]["status"] == "published"  # her own story
    assert results[2]["record"] == {**results[2]["record"], "story": published["id"], "reason": "spam",
                                    "note": "An address in it", "resolved": False}
    assert results[3]["error"]["code"] == "bad_language" and results[4]["error"]["code"] == "bad_type"
    assert count_rows(StoryTranslation) == 1 and count_rows(StoryReport) == 1


def test_the_same_records_again_are_unchanged_and_other_content_is_a_conflict(client, people):
    fatima, amina = people["facilitator_a"], people["participant_a"]
    published = f.item()
    push_one(client, fatima, published)
    words = translation(published["id"])
    complaint = report(published["id"])
    first = push(client, amina, words, complaint)
    assert [r["result"] for r in first] == ["created", "created"]
    again = push(client, amina, words, complaint)
    assert [r["result"] for r in again] == ["unchanged", "unchanged"]
    assert again[0]["record"] == first[0]["record"]

    db.session.rollback()
    before = db.session.scalar(select(StoryTranslation.revision))
    # Edited elsewhere (no base, or a stale one): a conflict, and the stored text stays.
    stale = translation(published["id"], title="Altro titolo", record_id=words["id"], base_etag='"0000"')
    other_reason = report(published["id"], reason="hateful", record_id=complaint["id"])
    conflicted = push(client, amina, stale, other_reason)
    assert [r["result"] for r in conflicted] == ["conflict", "conflict"]
    assert conflicted[0]["record"]["title"] == "Una passeggiata"
    db.session.rollback()
    assert db.session.scalar(select(StoryTranslation.title)) == "Una passeggiata"
    assert db.session.scalar(select(StoryTranslation.revision)) == before
    assert db.session.scalar(select(StoryReport.reason)) == "spam"
    # On the right base it is an edit.
    edit = translation(published["id"], title="Altro titolo", record_id=words["id"],
                       base_etag=first[0]["record"]["etag"])
    assert push_one(client, amina, edit)["result"] == "updated"


def test_a_deleted_translation_is_not_brought_back_by_a_late_replay(client, people):
    fatima = people["facilitator_a"]
    published = f.item()
    push_one(client, fatima, published)
    words = translation(published["id"])
    assert push_one(client, fatima, words)["result"] == "created"
    gone = push_one(client, fatima, {**translation(published["id"], op="delete", record_id=words["id"])})
    assert gone["result"] == "updated" and gone["record"]["deleted"] is True
    late = push_one(client, fatima, words)
    assert late["result"] == "rejected" and late["error"]["code"] == "deleted"
    assert count_rows(StoryTranslation) == 0


def test_who_may_push_each_kind(client, people):
    fatima, bojan = people["facilitator_a"], people["participant_b"]
    community_story = f.item(visibility="community")
    push_one(client, fatima, community_story)
    # Someone who may not read the story may neither translate nor report it, nor learn it exists.
    results = push(client, bojan, translation(community_story["id"]), report(community_story["id"]))
    assert [(r["result"], r["error"]["code"]) for r in results] == [("rejected", "not_found")] * 2
    # One's own story cannot be reported.
    own = push_one(client, fatima, report(community_story["id"]))
    assert own["result"] == "rejected" and own["error"]["code"] == "not_reportable"
    # Nobody signed out pushes at all.
    assert client.post(PUSH, json={"items": [report(community_story["id"])]}).status_code == 401


# --- Pull ------------------------------------------------------------------------------------

def test_pull_brings_every_kind_in_revision_order_behind_one_cursor(client, people):
    fatima, amina = people["facilitator_a"], people["participant_a"]
    stories = [f.item(title=f"Story {i}") for i in range(3)]
    for story in stories:
        push(client, fatima, story, translation(story["id"]))
        push_one(client, amina, report(story["id"]))
    seen = []
    cursor = None
    while True:
        response = client.get(PULL, query_string={"kinds": ALL_KINDS, "limit": 2, **({"cursor": cursor} if cursor else {})},
                              headers=fatima.headers)
        page = response.get_json()
        assert len(page["items"]) <= 2 and page["protocol"] == PROTOCOL_VERSION
        seen.extend(page["items"])
        cursor = page["cursor"]
        if not page["more"]:
            break
    revisions = [item["revision"] for item in seen]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    assert Counter(item["type"] for item in seen) == {"story": 3, "translation": 3, "report": 3}
    # Nothing new: the same cursor gives an empty page.
    again = client.get(PULL, query_string={"kinds": ALL_KINDS, "cursor": cursor}, headers=fatima.headers)
    assert again.get_json()["items"] == []


def test_a_pull_without_kinds_is_the_story_contract_of_cached_shells(client, people):
    fatima = people["facilitator_a"]
    story = f.item()
    push(client, fatima, story, translation(story["id"]))
    items = client.get(PULL, headers=fatima.headers).get_json()["items"]
    assert [item["id"] for item in items] == [story["id"]] and "type" not in items[0]
    assert items[0]["translations"][0]["language"] == "it"  # published translations ride along, as before
    bad = client.get(PULL, query_string={"kinds": "story,gossip"})
    assert bad.status_code == 400 and bad.get_json()["code"] == "bad_kinds"


def test_nobody_pulls_a_record_of_a_kind_or_visibility_they_may_not_see(client, people):
    fatima, amina, bojan, goran, root = (people[k] for k in
                                        ("facilitator_a", "participant_a", "participant_b", "facilitator_b", "admin"))
    public, community = f.item(title="Public"), f.item(title="Siena only", visibility="community")
    push(client, fatima, public, community)
    public_words = translation(public["id"])
    community_words = translation(community["id"], language="ar", title="لسيينا فقط", body="قصة المجتمع.")
    push(client, fatima, public_words, community_words)
    waiting = translation(public["id"], language="fr", title="Une promenade", body="Nous avons marché.")
    complaint = report(public["id"], note="Names a child")
    assert [r["result"] for r in push(client, amina, waiting, complaint)] == ["created", "created"]

    def seen(person):
        items, _ = pull_kinds(client, person)
        return {item["id"] for item in items}

    anyone = seen(None)
    assert public_words["id"] in anyone
    assert {community_words["id"], waiting["id"], complaint["id"]}.isdisjoint(anyone)
    assert seen(amina) >= {public_words["id"], community_words["id"], waiting["id"], complaint["id"]}
    belgrade = seen(bojan) | seen(goran)
    assert public_words["id"] in belgrade
    assert {community_words["id"], waiting["id"], complaint["id"]}.isdisjoint(belgrade)
    # Siena's facilitator moderates: the report, yes; amina's waiting translation only through review.
    assert complaint["id"] in seen(fatima) and waiting["id"] not in seen(fatima)
    assert complaint["id"] in seen(root)
    items, _ = pull_kinds(client, amina)
    assert of_type(items, "translation")[waiting["id"]]["status"] == "pending"


def test_a_deleted_translation_reaches_those_who_held_it_as_a_tombstone(client, people):
    fatima, amina, bojan = people["facilitator_a"], people["participant_a"], people["participant_b"]
    community = f.item(visibility="community")
    push_one(client, fatima, community)
    words = translation(community["id"])
    push_one(client, fatima, words)
    _, amina_cursor = pull_kinds(client, amina)
    _, bojan_cursor = pull_kinds(client, bojan)
    push_one(client, fatima, translation(community["id"], op="delete", record_id=words["id"]))
    items, _ = pull_kinds(client, amina, cursor=amina_cursor)
    assert {"type": "translation", "id": words["id"], "deleted": True} .items() <= of_type(items, "translation")[words["id"]].items()
    items, _ = pull_kinds(client, bojan, cursor=bojan_cursor)
    assert words["id"] not in of_type(items, "translation")  # never his to hold


def test_a_withdrawal_reaches_the_phone_as_a_tombstone_of_every_record_on_the_story(client, people):
    fatima, amina = people["facilitator_a"], people["participant_a"]
    story = f.item(visibility="community")
    words = translation(story["id"])
    push(client, fatima, story, words)
    complaint = report(story["id"], note="It names the school")
    push_one(client, amina, complaint)
    held, cursor = pull_kinds(client, fatima)
    assert {words["id"], complaint["id"], story["id"]} <= {item["id"] for item in held}
    withdrawn = push_one(client, fatima, f.item(story["id"], op="withdraw"))
    assert withdrawn["result"] == "updated"
    items, _ = pull_kinds(client, fatima, cursor=cursor)
    gone = {(item["type"], item["id"]) for item in items if item.get("deleted")}
    assert gone == {("story", story["id"]), ("translation", words["id"]), ("report", complaint["id"])}
    # The reporter learns it too; someone from another community learns nothing.
    items, _ = pull_kinds(client, amina)
    assert ("report", complaint["id"]) in {(i["type"], i["id"]) for i in items if i.get("deleted")}
    items, _ = pull_kinds(client, people["participant_b"])
    assert not {words["id"], complaint["id"]} & {i["id"] for i in items}
    assert count_rows(StoryTranslation) == 0 and count_rows(StoryReport) == 0
    # A late replay of the report does not bring it back.
    late = push_one(client, amina, complaint)
    assert late["result"] == "rejected" and late["error"]["code"] == "deleted"


# --- Many phones at once ---------------------------------------------------------------------

THREADS = 8
ROUNDS = 3
GROUPS = 30
REPORTS = limits.REPORTS_PER_MINUTE  # one person's reports a minute: the groups that carry one


@pytest.mark.slow
def test_mixed_batches_pushed_by_many_phones_at_once_store_each_record_once(app, live_server_factory):
    """8 threads each push the same mixed batches three times, in their own order, through two
    server processes: every record of every kind is stored once and answered "created" once; a
    conflicting replay afterwards is answered "conflict" and changes nothing."""
    siena = f.community("siena", moderation="trusted")
    amina = f.account("amina", community_slug="siena")
    fatima = f.account("fatima", community_slug="siena", role="facilitator")
    servers = [live_server_factory(threads=8), live_server_factory(threads=8)]
    # Amina's published stories, which the facilitator's phone reports and ticks as told.
    theirs = [f.item(title=f"Amina's {i}") for i in range(GROUPS)]
    requests.post(servers[0].url + PUSH, json={"items": theirs},
                  headers={"Authorization": f"Bearer {direct_token(amina)}"}, timeout=120).raise_for_status()
    events = [event_service.create_event(fatima, siena, event_service.clean_details(
        "storytelling", f"Evening {i}", date(2026, 10, 1 + i % 28))) for i in range(GROUPS)]
    groups = []
    for i, event in enumerate(events):
        story = f.item(title=f"Fatima's {i}", body=f"Told {i} times.")
        told = theirs[i]["id"]
        # A group keeps its order (the translation reads the story made just before it).
        group = [story, translation(story["id"], title=f"Storia {i}")]
        if i < REPORTS:
            group.append(report(told))
        groups.append(group + [
            {"type": "attendance", "id": str(event.attendance_id),
             "data": {"event": event.id, "head_count": 10 + i, "attendees": [], "tallies": {"gender": {"woman": 4}}}},
            {"type": "attendance_story", "id": str(event_service.told_line_id(event.id, uuid.UUID(told))),
             "data": {"event": event.id, "story": told}},
        ])
    tokens = [direct_token(fatima) for _ in range(THREADS)]
    results, failures, lock = [], [], threading.Lock()
    start = threading.Barrier(THREADS)

    def phone(n: int) -> None:
        session = requests.Session()
        rng = random.Random(n)
        start.wait()
        for round_ in range(ROUNDS):
            order = groups[:]
            rng.shuffle(order)
            for k in range(0, GROUPS, 5):
                batch = [item for group in order[k:k + 5] for item in group]
                try:
                    response = session.post(servers[(n + round_ + k) % 2].url + PUSH, json={"items": batch},
                                            headers={"Authorization": f"Bearer {tokens[n]}"}, timeout=120)
                except requests.RequestException as exc:
                    with lock:
                        failures.append(repr(exc))
                    continue
                with lock:
                    if response.status_code != 200:
                        failures.append(f"{response.status_code}: {response.text[:300]}")
                    else:
                        results.extend(response.json()["results"])

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    by_type = Counter((r["type"], r["result"]) for r in results)
    # Attendance already exists (empty) with each event: its first push is an update of it.
    firsts = {"story": "created", "translation": "created", "report": "created", "attendance": "updated",
              "attendance_story": "created"}
    for kind, first in firsts.items():
        made = REPORTS if kind == "report" else GROUPS
        assert by_type[(kind, first)] == made, by_type
        assert by_type[(kind, "unchanged")] == THREADS * ROUNDS * made - made, by_type
    assert sum(by_type.values()) == THREADS * ROUNDS * (4 * GROUPS + REPORTS)
    first_answers = Counter(r["id"] for r in results if r["result"] != "unchanged")
    assert set(first_answers.values()) == {1} and len(first_answers) == 4 * GROUPS + REPORTS
    assert count_rows(Story) == 2 * GROUPS
    assert count_rows(StoryTranslation) == GROUPS and count_rows(StoryReport) == REPORTS
    assert count_rows(EventStory) == GROUPS
    db.session.rollback()
    assert sorted(db.session.scalars(select(Event.head_count))) == [10 + i for i in range(GROUPS)]

    state = sorted(db.session.execute(select(StoryTranslation.sync_id, StoryTranslation.title,
                                             StoryTranslation.revision)).all())
    attendance_state = sorted(db.session.execute(select(Event.id, Event.head_count, Event.attendance_revision)).all())
    story, words, complaint, record, _line = groups[0]  # a group with a report
    clash = [{**words, "data": {**words["data"], "title": "Un altro titolo"}},
             {**complaint, "data": {**complaint["data"], "reason": "other"}},
             {**record, "base_etag": '"stale"', "data": {**record["data"], "head_count": 99}}]
    answered = requests.post(servers[1].url + PUSH, json={"items": clash},
                             headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=120).json()["results"]
    assert [r["result"] for r in answered] == ["conflict", "conflict", "conflict"]
    db.session.rollback()
    assert sorted(db.session.execute(select(StoryTranslation.sync_id, StoryTranslation.title,
                                            StoryTranslation.revision)).all()) == state
    assert sorted(db.session.execute(select(Event.id, Event.head_count, Event.attendance_revision)).all()) \
        == attendance_state
    assert db.session.scalar(select(StoryReport.reason).where(
        StoryReport.sync_id == uuid.UUID(complaint["id"]))) == "spam"


class TestWithRateLimitsOff:
    """An operator may turn rate limits off (RATELIMIT_ENABLED=False): a report in a push is
    then stored, not refused with a crash for want of a counter store."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ENABLED": False}

    def test_a_pushed_report_is_stored(self, client, people):
        fatima, amina = people["facilitator_a"], people["participant_a"]
        published = f.item(visibility="community")
        assert push_one(client, fatima, published)["result"] == "created"
        assert push_one(client, amina, report(published["id"]))["result"] == "created"
        assert count_rows(StoryReport) == 1
