"""HTML pages carry an ETag; a repeat visit with nothing changed is a 304 with no body."""
import uuid

from tests import factories as f


def _publish(app, title):
    from kultialogo.accounts.models import Account
    from kultialogo.extensions import db
    from kultialogo.stories import service
    from kultialogo.stories.schema import validate_content
    actor = db.session.query(Account).filter_by(username="amina").one()
    content = validate_content({"title": title, "body": "A story about the river and the bridge.",
                                "language": "en", "community": "siena", "visibility": "public",
                                "author_display": "pseudonym"})
    service.write_one(actor, uuid.uuid4(), content)


def _people():
    f.community("siena", moderation="trusted")
    f.account("amina", community_slug="siena")


def test_repeat_visit_unchanged_is_304_and_a_new_story_is_200(app, client):
    _people()
    f.sign_in(client, "amina")
    first = client.get("/")
    assert first.status_code == 200 and first.headers.get("ETag")
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    _publish(app, "A new story on the list")
    changed = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and b"A new story on the list" in changed.get_data()
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_the_tag_differs_per_person_and_language(app, client):
    _people()
    f.account("bilal", community_slug="siena")
    anonymous = client.get("/").headers["ETag"]
    other_language = client.get("/", headers={"Accept-Language": "ar"}).headers["ETag"]
    f.sign_in(client, "amina")
    amina = client.get("/").headers["ETag"]
    assert len({anonymous, other_language, amina}) == 3
