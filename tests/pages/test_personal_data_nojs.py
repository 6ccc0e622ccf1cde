"""No JavaScript (#17): a plain story form whose text names a phone number, an e-mail or another
member's full name is shown once more with a Keep / Remove / Replace choice for each, then
stored as chosen. Never refused: "Send as it is" stores every word."""
import re
import uuid

from sqlalchemy import select

from kultialogo.extensions import db
from kultialogo.stories.models import Story
from tests import factories as f
from tests.pages.util import hidden_value, signed_in_client, text

BODY = "I talked to Paolo Bianchi. His number is 333 123 4567, write to paolo@example.it"


def _world(app):
    f.community("siena")
    f.account("amina", community_slug="siena")
    paolo = f.account("paolo", community_slug="siena")
    paolo.display_name = "Paolo Bianchi"
    db.session.commit()
    return signed_in_client(app, "amina")


def _form(client, **overrides):
    page = text(client.get("/write"))
    return {"csrf_token": f.csrf_from(page), "id": hidden_value(page, "id"), "base_etag": "",
            "title": "A call", "body": BODY, "language": "en", "community": "siena",
            "visibility": "public", "author_display": "pseudonym", **overrides}


def _stored(story_id):
    db.session.remove()
    story = db.session.scalar(select(Story).where(Story.id == uuid.UUID(story_id)))
    return story.body if story else None


def _asked(page) -> dict:
    """{n: (at, checked choice)} as the page asks."""
    ats = dict(re.findall(r'name="pii-(\d+)-at" value="([^"]+)"', page))
    checked = dict(re.findall(r'name="pii-(\d+)" value="(\w+)" checked', page))
    return {n: (at, checked.get(n)) for n, at in ats.items()}


def test_the_form_asks_once_then_stores_the_choices(app):
    client = _world(app)
    data = _form(client)
    first = client.post("/write", data=data)
    assert first.status_code == 200  # the page again, nothing stored yet
    page = text(first)
    assert _stored(data["id"]) is None
    assert "Personal details in your text" in page
    assert "Full name of someone in the community: <bdi dir=\"auto\">Paolo Bianchi</bdi>" in page
    assert "Phone number: <bdi dir=\"ltr\">333 123 4567</bdi>" in page
    assert "E-mail address: <bdi dir=\"ltr\">paolo@example.it</bdi>" in page
    asked = _asked(page)
    assert [choice for _at, choice in asked.values()] == ["replace"] * 3
    assert 'name="pii_checked" value="1"' in page
    assert hidden_value(page, "id") == data["id"] and "333 123 4567, write to" in page  # the words kept

    again = {**data, "pii_checked": "1", "pii_send": "1", "pii-0": "remove", "pii-1": "replace", "pii-2": "keep",
             **{f"pii-{n}-at": at for n, (at, _choice) in asked.items()}}
    response = client.post("/write", data=again)
    assert response.status_code == 302
    assert _stored(data["id"]) == "I talked to. His number is [phone number removed], write to paolo@example.it"


def test_send_as_it_is_stores_every_word(app):
    client = _world(app)
    data = _form(client)
    asked = _asked(text(client.post("/write", data=data)))
    response = client.post("/write", data={**data, "pii_checked": "1", "pii_as_is": "1",
                                           **{f"pii-{n}-at": at for n, (at, _c) in asked.items()},
                                           **{f"pii-{n}": "replace" for n in asked}})
    assert response.status_code == 302
    assert _stored(data["id"]) == BODY


def test_words_edited_in_between_are_not_cut_where_they_no_longer_are(app):
    client = _world(app)
    data = _form(client)
    asked = _asked(text(client.post("/write", data=data)))
    edited = "Hello! " + BODY  # every span moved by 7 characters
    response = client.post("/write", data={**data, "body": edited, "pii_checked": "1",
                                           **{f"pii-{n}-at": at for n, (at, _c) in asked.items()},
                                           **{f"pii-{n}": "replace" for n in asked}})
    assert response.status_code == 302
    assert _stored(data["id"]) == edited


def test_a_text_with_nothing_personal_is_stored_at_once(app):
    client = _world(app)
    data = _form(client, body="In 1998 we paid 1500 euros on 12.05.2023 at 10:30; 200 people came.")
    assert client.post("/write", data=data).status_code == 302
    assert _stored(data["id"]) == data["body"]


def test_the_writers_own_name_is_not_asked_about(app):
    _world(app)
    own = signed_in_client(app, "paolo")
    data = _form(own, body="Io sono Paolo Bianchi.", language="it")
    assert own.post("/write", data=data).status_code == 302  # stored at once, nothing asked
    assert _stored(data["id"]) == "Io sono Paolo Bianchi."


def _published_story(app):
    from kultialogo.moderation import service as moderation
    from tests.pages.util import story
    from kultialogo.accounts.models import Account
    amina = db.session.scalar(select(Account).where(Account.username == "amina"))
    giulia = f.account("giulia", community_slug="siena", role="facilitator")
    s = story(amina, "The bridge", visibility="community")
    moderation.moderate(giulia, s.id, "publish")
    return s.id


def _carried(page) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


def test_a_plain_reply_is_asked_about_on_its_own_page_then_stored_as_chosen(app):
    from kultialogo.replies.models import Reply
    client = _world(app)
    story_id = _published_story(app)
    page = text(client.get(f"/stories/{story_id}"))
    words = "Paolo Bianchi lives at via dei Rossi 12, ask him."
    first = client.post(f"/stories/{story_id}/replies", data={"csrf_token": f.csrf_from(page), "id": str(uuid.uuid4()),
                                                              "body": words})
    assert first.status_code == 200
    asked_page = text(first)
    assert "Personal details in your text" in asked_page and f'action="/stories/{story_id}/replies"' in asked_page
    assert db.session.scalars(select(Reply)).all() == []
    carried = _carried(asked_page)
    assert carried["body"] == words and carried["pii_checked"] == "1"
    response = client.post(f"/stories/{story_id}/replies", data={**carried, "pii-0": "replace", "pii-1": "keep"})
    assert response.status_code == 302
    db.session.remove()
    assert [r.body for r in db.session.scalars(select(Reply))] == ["[name removed] lives at via dei Rossi 12, ask him."]


def test_a_plain_translation_gets_placeholders_in_its_language(app):
    from kultialogo.translations.models import StoryTranslation
    client = _world(app)
    story_id = _published_story(app)
    page = text(client.get(f"/stories/{story_id}"))
    data = {"csrf_token": f.csrf_from(page), "language": "it", "title": "Il ponte",
            "body": "Chiamate il 333 123 4567.", "translator_display": "pseudonym"}
    first = client.post(f"/stories/{story_id}/translations", data=data)
    assert first.status_code == 200
    carried = _carried(text(first))
    response = client.post(f"/stories/{story_id}/translations", data={**carried, "pii-0": "replace"})
    assert response.status_code == 302
    db.session.remove()
    [body] = [t.body for t in db.session.scalars(select(StoryTranslation))]
    from kultialogo.disclosure import placeholder
    with app.test_request_context():
        assert body == f"Chiamate il {placeholder('phone', 'it')}."
