"""`kultialogo demo` shows translations: an Arabic story read in Italian and English, others in
Serbian, English and Dutch, and a participant's translation waiting in Milica's queue."""
from sqlalchemy import select

from kultialogo.demo import demo_story_id, load_demo
from kultialogo.extensions import db
from kultialogo.translations.models import StoryTranslation
from tests.people.helpers import Fresh


def test_the_demo_has_translations_and_one_waiting(app):
    load_demo()
    load_demo()  # a second run adds nothing and changes nothing
    db.session.rollback()
    rows = db.session.scalars(select(StoryTranslation)).all()
    assert len(rows) == 6
    arabic = {t.language: t.status for t in rows if t.story_id == demo_story_id(0)}
    assert arabic == {"it": "published", "en": "published"}
    assert [t.language for t in rows if t.status == "pending"] == ["uk"]
    reader = Fresh(app)
    page = reader.get(f"/stories/{demo_story_id(0)}?lang=it").get_data(as_text=True)
    assert "Il primo inverno a Siena" in page and "<bdi>Giulia Ferri</bdi>" in page
    assert "?original=1#original" in page
    milica = Fresh(app)
    milica.sign_in("milica", "kultialogo-demo")
    assert "Кава в сусідів" in milica.get("/review").get_data(as_text=True)
