"""Helpers for the people tests.

The ``app`` fixture keeps one app context open for the whole test, and Flask reuses an open
app context for test-client requests, so ``g`` (Flask-Login's cached user, the CSRF token,
api_requester's cache) would leak from one request into the next, and from one client's
request into another's. ``Fresh`` gives every request its own app context, as in production.
"""
import re

from tests import factories as f


class Fresh:
    def __init__(self, app, client=None):
        self.app = app
        self.client = client or app.test_client()

    def open(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.open(*args, **kwargs)

    def get(self, *a, **k):
        return self.open(*a, method="GET", **k)

    def post(self, *a, **k):
        return self.open(*a, method="POST", **k)

    def csrf(self, path="/"):
        return f.csrf_from(self.get(path).get_data(as_text=True))

    def form(self, path, data, page=None):
        """POST a form with the CSRF token of ``page`` (default: the same path)."""
        token = self.csrf(page or path)
        return self.post(path, data={"csrf_token": token, **data})

    def sign_in(self, username, password=f.PASSWORD):
        token = self.csrf("/signin")
        response = self.post("/signin", data={"csrf_token": token, "username": username, "password": password},
                             environ_base=f.address_of(username))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response


def code_from(html: str) -> str:
    match = re.search(r'class="join-code"[^>]*><strong>([A-Z0-9-]+)<', html)
    assert match, html[:2000]
    return match.group(1)


# --- Building stories in every state --------------------------------------------------------

import io
import uuid

from PIL import Image
from sqlalchemy import select, text

from kultialogo.database import write_transaction
from kultialogo.extensions import db
from kultialogo.revisions import RevisionBlock
from kultialogo.stories import service as stories
from kultialogo.stories.models import Story
from kultialogo.stories.schema import validate_content

_colour = [0]


def png(seed: int | None = None) -> bytes:
    """A small PNG, different every call (content-addressed media need distinct bytes)."""
    _colour[0] += 1
    n = _colour[0] if seed is None else seed
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), ((n * 37) % 256, (n * 91) % 256, (n * 13 + n // 256) % 256)).save(buffer, "PNG")
    return buffer.getvalue()


def store_media(owner, data: bytes | None = None) -> str:
    from kultialogo.media.service import ingest_upload
    return ingest_upload(owner, io.BytesIO(data or png()))


def make_story(author, *, community="a", visibility="public", status="published", media=(),
               title=None, body=None, **extra) -> Story:
    """A story pushed through the story service, then put in ``status`` as a moderator would."""
    story_id = uuid.uuid4()
    content = validate_content({"title": title or f"Title {f.letters_of(story_id)}",
                                "body": body or f"Body {f.letters_of(story_id, 32)}", "language": "en",
                                "community": community, "visibility": visibility,
                                "author_display": "pseudonym", "media": list(media), **extra})
    outcome = stories.write_one(author, story_id, content)
    assert outcome.result == stories.CREATED, outcome
    if status == "withdrawn":
        stories.withdraw_one(author, story_id)
    else:
        with write_transaction():
            story = db.session.get(Story, story_id)
            if story.status != status:
                revs = RevisionBlock(db.session)
                story.status = status
                story.ever_published = story.ever_published or status in ("published", "hidden")
                story.revision = revs.next()
                revs.flush()
    db.session.rollback()
    return db.session.get(Story, story_id)


def all_rows_text() -> str:
    """Every row of every table, as text: to search for personal data left behind."""
    out = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                out.append(f"{table.name}: {tuple(row)!r}")
        # Tables no model knows (if any) too.
        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'") if db.engine.dialect.name == "sqlite"
                             else text("SELECT tablename FROM pg_tables WHERE schemaname='public'")).scalars().all()
        known = {t.name for t in db.metadata.sorted_tables}
        for name in names:
            if name not in known and not name.startswith("sqlite_"):
                for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                    out.append(f"{name}: {tuple(row)!r}")
    return "\n".join(out)
