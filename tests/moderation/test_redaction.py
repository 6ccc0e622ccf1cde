"""Personal data in the moderation queue, and a moderator's redaction: the span is replaced in
the story and its translations, reaches a phone that pulled the story before as an edit, and
the audit log says a number was removed, never which."""
import json
import uuid

from kultialogo.moderation import redaction
from kultialogo.stories.service import stored_etag
from kultialogo.translations import service as translations
from tests import factories as f

from .conftest import audit_rows, stored, story_in
from .test_pull import pull

BODY = "Il nostro vicino si chiama Paolo Bianchi e il suo numero è 333 123 4567: chiamatelo!"


def _story(cast):
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account,
                        body=BODY, title="Il vicino", language="it")
    translations.put(cast["facilitator"].account, story_id, "en",
                     {"title": "The neighbour", "body": "His number is 333 123 4567: call him!"})
    return story_id


def _form(page: str, kind: str) -> dict:
    """The hidden fields of the Remove form for the first span of this kind on the page."""
    import re
    for form in re.findall(r"<form[^>]*redact[^>]*>.*?</form>", page, re.S):
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
        if fields.get("kind") == kind:
            return fields
    raise AssertionError(f"no {kind} form")


def test_the_queue_marks_personal_data_and_a_redaction_reaches_phones_as_an_edit(client, web, cast):
    f.account("paolo", community_slug="siena")
    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    paolo = db.session.scalar(db.select(Account).where(Account.username == "paolo"))
    paolo.display_name = "Paolo Bianchi"
    db.session.commit()
    story_id = _story(cast)
    assert stored(story_id).etag == stored_etag(stored(story_id))  # the etag as the upsert made it
    reader = cast["other_participant"]
    seen, cursor = pull(client, reader)
    assert "333 123 4567" in seen[str(story_id)]["body"]

    # A story waiting for review shows its personal data marked, each with a Remove button.
    pending = story_in("pending", cast["author"].account, cast["facilitator"].account, body=BODY, language="it")
    giulia = web("facilitator")
    queue = giulia.get("/review").get_data(as_text=True)
    assert "<mark>" in queue and "Paolo Bianchi" in queue
    assert "Phone number" in queue and "Full name of someone in the community" in queue
    fields = _form(queue, "phone")
    response = giulia.post(f"/review/{pending}/redact?next=queue", data=fields)
    assert response.status_code == 302
    assert "333 123 4567" not in stored(pending).body
    assert "[numero di telefono rimosso]" in stored(pending).body  # the placeholder in the story's language

    # The published story, redacted through the service: the phone that pulled it gets an edit.
    story = stored(story_id)
    span = next(x for x in redaction.found_in(story) if x.span.kind == "phone")
    redaction.redact(cast["facilitator"].account, story_id, span.field, span.span.start, span.span.end,
                     "phone", span.digest)
    changes, _cursor = pull(client, reader, cursor)
    body = changes[str(story_id)]["body"]
    assert "333 123 4567" not in body and "Paolo Bianchi" in body
    assert changes[str(story_id)]["revision"] > seen[str(story_id)]["revision"]
    assert "333 123 4567" not in stored(story_id).translations[0].body
    assert stored(story_id).etag == stored_etag(stored(story_id))
    # The audit log: a phone number was removed, by whom, from which story; never the number.
    rows = audit_rows(action="story.redact")
    assert len(rows) == 2 and rows[-1].detail["kind"] == "phone" and rows[-1].detail["translations"] == 1
    assert "4567" not in json.dumps([r.detail for r in rows])


def test_only_the_communitys_moderators_may_redact_and_a_stale_span_changes_nothing(client, web, cast):
    story_id = story_in("pending", cast["author"].account, cast["facilitator"].account, body=BODY, language="it")
    span = next(x for x in redaction.found_in(stored(story_id)) if x.span.kind == "phone")
    data = {"field": "body", "start": span.span.start, "end": span.span.end, "kind": "phone", "digest": span.digest}
    for role in ("author", "other_participant", "other_facilitator"):
        browser = web(role)
        response = browser.post(f"/review/{story_id}/redact", data={**data, "csrf_token": browser.csrf("/activity")})
        assert response.status_code == 403, role
    giulia = web("facilitator")
    token = giulia.csrf("/review")
    stale = giulia.post(f"/review/{story_id}/redact", data={**data, "start": span.span.start + 1, "csrf_token": token})
    assert stale.status_code == 409
    no_csrf = giulia.post(f"/review/{story_id}/redact", data=data)
    assert no_csrf.status_code == 400
    assert stored(story_id).body == BODY
    ok = giulia.post(f"/review/{story_id}/redact", data={**data, "csrf_token": token})
    # Once in CI this answered 409 (stale_span), not reproduced in 60 runs since: say what the
    # server saw if it happens again.
    assert ok.status_code == 302, (ok.status_code, ok.get_data(as_text=True)[-600:], data,
                                   stored(story_id).body, redaction.found_in(stored(story_id)))
    assert "333 123 4567" not in stored(story_id).body
    assert audit_rows(action="story.redact")[0].actor_id == cast["facilitator"].id


def test_no_story_or_translation_the_demo_shows_the_public_holds_personal_data(app):
    """The demo is what a newcomer shows people first: no public story in it names anyone's
    number, address or document, and none of their translations does."""
    from sqlalchemy import select

    from kultialogo import disclosure
    from kultialogo.demo import load_demo
    from kultialogo.extensions import db
    from kultialogo.stories.models import Story

    load_demo()
    db.session.rollback()
    found = {}
    for story in db.session.scalars(select(Story).where(Story.visibility == "public", Story.status == "published")):
        spans = [x.span for x in redaction.found_in(story)]
        for translation in story.translations:
            spans += disclosure.find(translation.body, translation.language)
        if spans:
            found[story.title] = spans
    assert found == {}


def test_a_waiting_reply_shows_its_personal_data_and_a_redaction_reaches_its_author_as_an_edit(client, web, cast):
    """#17: the server's detection covers replies too: a reply waiting for review shows its
    spans marked, a moderator removes one, and the author's phone gets the edit."""
    from tests.replies.conftest import pull as pull_replies
    from tests.replies.conftest import pushed, reply_item, stored_reply
    story_id = story_in("published", cast["author"].account, cast["facilitator"].account, language="it",
                        body="Una storia del nostro quartiere.")
    bilal = cast["other_participant"]
    item = reply_item(story_id, body="Chiamami al 333 123 4567 oppure scrivi a bilal@example.org")
    assert pushed(client, bilal, item)[0]["result"] == "created"
    assert stored_reply(uuid.UUID(item["id"])).status == "pending"
    seen, cursor = pull_replies(client, bilal)
    assert "333 123 4567" in seen[item["id"]]["body"]

    giulia = web("facilitator")
    queue = giulia.get("/review").get_data(as_text=True)
    assert f"/review/replies/{item['id']}/redact" in queue and "<mark dir=\"ltr\">333 123 4567</mark>" in queue
    fields = _form(queue, "phone")
    for role in ("other_facilitator", "other_participant"):  # not this community's moderators
        other = web(role)
        refused = other.post(f"/review/replies/{item['id']}/redact",
                             data={**fields, "csrf_token": other.csrf("/activity")})
        assert refused.status_code in (403, 404), role
    stale = giulia.post(f"/review/replies/{item['id']}/redact", data={**fields, "start": int(fields["start"]) + 1})
    assert stale.status_code == 409
    assert "333 123 4567" in stored_reply(uuid.UUID(item["id"])).body  # nothing changed
    response = giulia.post(f"/review/replies/{item['id']}/redact", data=fields)
    assert response.status_code == 302
    body = stored_reply(uuid.UUID(item["id"])).body
    assert "333 123 4567" not in body and "[numero di telefono rimosso]" in body and "bilal@example.org" in body

    changes, _cursor = pull_replies(client, bilal, cursor)
    assert changes[item["id"]]["body"] == body
    rows = audit_rows(action="reply.redact")
    assert len(rows) == 1 and rows[0].detail["kind"] == "phone" and rows[0].actor_id == cast["facilitator"].id
    assert "4567" not in json.dumps(rows[0].detail)
