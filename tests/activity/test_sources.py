"""The replies and help sources of /activity, and the pushes after a reply, a helper's message and
a new help request: each reaches exactly the people it concerns, and nobody else."""
import uuid

import pytest
from flask import current_app

from kultialogo.activity import service as activity
from kultialogo.activity.models import Follow
from kultialogo import jobs
from kultialogo.extensions import db
from kultialogo.replies import service as replies
from kultialogo.webpush import service as webpush
from tests.help.conftest import ask, form_post, people  # noqa: F401
from tests.moderation.conftest import story_in
from tests.replies.conftest import trusted  # noqa: F401

from .test_webpush import Browser, receiver  # noqa: F401


def kinds_for(account) -> list[tuple[str, str]]:
    db.session.rollback()  # see what the requests committed
    with current_app.test_request_context():  # the entries' links are built with url_for
        return [(e.kind, e.url) for e in activity.activity_for(account)]


def follow_story(account, story_id) -> None:
    """A follow row as the form makes it (also for one the policy would no longer allow)."""
    db.session.add(Follow(account_id=account.id, story_id=story_id, sync_id=uuid.uuid4(), revision=10_000 + account.id))
    db.session.commit()


@pytest.fixture
def story(cast, trusted):  # noqa: F811
    trusted()  # bilal's replies are published at once
    return story_in("published", cast["author"].account, cast["facilitator"].account, title="By the river")


def test_a_reply_reaches_the_author_and_the_stories_followers_only(cast, story, web):
    amina, bilal, giulia, milica = (cast[r].account for r in ("author", "other_participant", "facilitator",
                                                                  "other_facilitator"))
    follow_story(giulia, story)
    _result, reply = replies.add_reply(bilal, story, "Thank you for this")
    url = f"/stories/{story}#reply-{reply.sync_id}"
    assert kinds_for(amina) == [("reply", url)]
    assert kinds_for(giulia) == [("reply", url)]
    assert kinds_for(bilal) == [] and kinds_for(milica) == []  # its author; someone following nothing
    page = web("author").get("/activity")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert f'href="{url}"' in html and "A new reply" in html and "By the river" in html


def test_a_reply_in_a_community_only_story_never_reaches_an_outsider(cast, trusted):  # noqa: F811
    trusted()
    story = story_in("published", cast["author"].account, cast["facilitator"].account, visibility="community")
    milica = cast["other_facilitator"].account  # of belgrade: may not read it
    follow_story(milica, story)  # a stale follow (say, from before the story went community-only)
    replies.add_reply(cast["other_participant"].account, story, "Only for siena")
    assert kinds_for(milica) == []
    assert [k for k, _u in kinds_for(cast["author"].account)] == ["reply"]


def test_replies_before_a_follow_are_not_news(cast, story):
    replies.add_reply(cast["other_participant"].account, story, "Early")
    follow_story(cast["facilitator"].account, story)
    assert kinds_for(cast["facilitator"].account) == []


def test_a_help_answer_reaches_the_asker_only_and_a_new_request_the_helpers(people):  # noqa: F811
    path = ask(people["asker"], body="Private words")
    for name in ("mediator", "coach"):
        assert kinds_for(people[name].account) == [("help_new", path)], name
    for name in ("facilitator", "other_mediator", "neighbour", "outsider", "admin"):
        assert kinds_for(people[name].account) == [], name
    form_post(people["mediator"].client, f"{path}/messages", path, {"body": "Come on Monday", "id": str(uuid.uuid4())})
    assert kinds_for(people["asker"].account) == [("help", path)]  # one line for the answer and its claim
    # Claimed: no longer news for the helpers; never anything for anyone else.
    for name in ("mediator", "coach", "facilitator", "other_mediator", "neighbour", "outsider", "admin"):
        assert kinds_for(people[name].account) == [], name
    page = people["asker"].client.get("/activity").get_data(as_text=True)
    assert "An answer to your request for help" in page and f'href="{path}"' in page
    assert "Private words" not in page and "Come on Monday" not in page
    assert "Education and school enrolment" in page  # the topic's name is the line's title


def subscribe(app, receiver, account) -> None:  # noqa: F811
    with app.test_request_context():
        webpush.subscribe(account, Browser(f"{receiver.url}/push/{account.username}").subscription(), "en")


def pushed_to(receiver) -> set[str]:  # noqa: F811
    jobs.run_pending()  # the queued Web Push jobs, as a worker would
    return {path.rsplit("/", 1)[-1] for path, _h, _b in receiver.received}


def test_a_reply_pushes_to_the_author_and_followers_who_may_read_it(app, cast, story, receiver):  # noqa: F811
    follow_story(cast["facilitator"].account, story)
    for role in ("author", "other_participant", "facilitator", "other_facilitator", "admin"):
        subscribe(app, receiver, cast[role].account)
    receiver.received.clear()
    replies.add_reply(cast["other_participant"].account, story, "Thank you for this")
    assert pushed_to(receiver) == {"amina", "giulia"}  # not bilal who wrote it, not milica nor root


def test_a_waiting_reply_pushes_only_once_published(app, cast, receiver):  # noqa: F811
    story = story_in("published", cast["author"].account, cast["facilitator"].account)
    subscribe(app, receiver, cast["author"].account)
    _result, reply = replies.add_reply(cast["other_participant"].account, story, "Waits for giulia")
    assert pushed_to(receiver) == set()
    replies.moderate_reply(cast["facilitator"].account, reply.sync_id, replies.PUBLISH)
    assert pushed_to(receiver) == {"amina"}


def test_help_pushes_the_helpers_then_the_asker(app, people, receiver):  # noqa: F811
    for name in ("asker", "mediator", "coach", "facilitator", "other_mediator", "neighbour", "admin"):
        subscribe(app, receiver, people[name].account)
    path = ask(people["asker"], body="Private words")
    assert pushed_to(receiver) == {"mona", "carla"}  # siena's mediator and coach
    receiver.received.clear()
    form_post(people["mediator"].client, f"{path}/messages", path, {"body": "Come on Monday", "id": str(uuid.uuid4())})
    assert pushed_to(receiver) == {"amina"}
    receiver.received.clear()
    form_post(people["asker"].client, f"{path}/messages", path, {"body": "Thank you", "id": str(uuid.uuid4())})
    assert pushed_to(receiver) == set()  # the asker's own words notify nobody (the helper reads the queue)
