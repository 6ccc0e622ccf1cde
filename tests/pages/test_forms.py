"""The no-JavaScript form flows: sign up, sign in, sign out, write; CSRF and validation."""
import re
import uuid

from sqlalchemy import func, select

from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.stories.models import Story
from tests import factories as f
from tests.pages.util import hidden_value, signed_in_client, text


def _count(model) -> int:
    db.session.rollback()  # end the test's own transaction: see what the requests committed
    return db.session.scalar(select(func.count()).select_from(model))


def _story(story_id) -> Story:
    db.session.rollback()
    return db.session.get(Story, uuid.UUID(story_id))


def _signup(client, **overrides):
    page = client.get("/signup")
    data = {"username": "amina", "display_name": "Amina K.", "password": "a long password",
            "confirm": "a long password", "csrf_token": f.csrf_from(text(page))}
    data.update(overrides)
    return client.post("/signup", data=data)


def test_sign_up_without_email_signs_the_person_in(app, client):
    response = _signup(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    feed = text(client.get("/"))
    assert "Welcome! Your account is ready." in feed
    assert "Sign out" in feed and "<bdi>amina</bdi>" in feed
    db.session.rollback()
    account = db.session.scalar(select(Account).where(Account.username == "amina"))
    assert account.display_name == "Amina K." and account.password_hash != "a long password"


def test_sign_up_without_a_csrf_token_is_refused_and_stores_nothing(app, client):
    response = client.post("/signup", data={"username": "amina", "password": "a long password",
                                            "confirm": "a long password"})
    assert response.status_code == 400
    assert "The form expired or was sent from elsewhere" in text(response)
    assert _count(Account) == 0


def test_sign_up_errors_re_render_the_form_with_messages_and_store_nothing(app, client):
    short = _signup(client, password="short", confirm="short")
    assert short.status_code == 400
    assert 'aria-invalid="true"' in text(short) and 'class="error"' in text(short)
    mismatch = _signup(client, confirm="another long password")
    assert mismatch.status_code == 400 and "The two passwords differ." in text(mismatch)
    bad_name = _signup(client, username="a b!")
    assert bad_name.status_code == 400 and "Usernames use 3 to 40 letters" in text(bad_name)
    assert 'value="a b!"' in text(bad_name)  # what was typed stays (never the password)
    assert "a long password" not in text(bad_name)
    assert _count(Account) == 0


def test_a_taken_username_is_refused_whatever_its_case(app, client):
    f.account("amina")
    response = _signup(client, username="Amina")
    assert response.status_code == 409
    assert "This username is taken." in text(response)
    assert _count(Account) == 1


def test_sign_in_and_sign_out(app, client):
    f.account("amina")
    wrong = client.post("/signin", data={"username": "amina", "password": "nope nope nope",
                                         "csrf_token": f.csrf_from(text(client.get("/signin")))})
    assert wrong.status_code == 401 and "Wrong username or password." in text(wrong)
    ok = f.sign_in(client, "Amina")
    assert ok.status_code == 302
    assert "Sign out" in text(client.get("/"))
    # Signing out is a POST with the token: a link or an image cannot sign anyone out.
    assert client.get("/signout").status_code == 405
    refused = client.post("/signout")
    assert refused.status_code == 400 and "Sign out" in text(client.get("/"))
    page = text(client.get("/"))
    out = client.post("/signout", data={"csrf_token": f.csrf_from(page)})
    assert out.status_code == 302
    assert "Sign in" in text(client.get("/")) and "Sign out" not in text(client.get("/"))


def test_sign_in_returns_to_a_local_next_page_only(app, client):
    f.community("siena")
    f.account("amina", community_slug="siena")
    assert client.get("/write").headers["Location"].startswith("/signin?next=")
    page = text(client.get("/signin?next=/write"))
    response = client.post("/signin?next=/write", data={"username": "amina", "password": f.PASSWORD,
                                                         "csrf_token": f.csrf_from(page)})
    assert response.headers["Location"] == "/write"
    client.post("/signout", data={"csrf_token": f.csrf_from(text(client.get("/")))})
    page = text(client.get("/signin"))
    evil = client.post("/signin?next=//evil.example/", data={"username": "amina", "password": f.PASSWORD,
                                                             "csrf_token": f.csrf_from(page)})
    assert evil.headers["Location"] == "/"


def _write_form(client):
    page = text(client.get("/write"))
    return {"csrf_token": f.csrf_from(page), "id": hidden_value(page, "id"), "base_etag": "",
            "title": "My first winter", "body": "Snow.\n\nThen spring came.", "language": "en",
            "community": "siena", "visibility": "public", "author_display": "pseudonym"}


def test_a_participant_story_waits_for_review(app):
    f.community("siena")
    f.account("amina", community_slug="siena")
    client = signed_in_client(app, "amina")
    data = _write_form(client)
    response = client.post("/write", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/stories/{data['id']}"
    page = text(client.get(response.headers["Location"]))
    assert "Thank you! Your story is waiting for review by a facilitator." in page
    assert "Waiting for review" in page and "My first winter" in page
    assert '<p dir="auto">Then spring came.</p>' in page
    story = _story(data["id"])
    assert story.status == "pending" and story.author.username == "amina"


def test_facilitators_and_admins_publish_directly_in_their_communities(app):
    f.community("siena")
    f.community("belgrade")
    f.account("giulia", community_slug="siena", role="facilitator")
    f.account("root", is_admin=True)
    for username, community, expected in (("giulia", "siena", "published"), ("root", "belgrade", "published")):
        client = signed_in_client(app, username)
        data = {**_write_form(client), "community": community}
        assert client.post("/write", data=data).status_code == 302
        assert _story(data["id"]).status == expected
    # A facilitator of Siena is no one in Belgrade: Belgrade is not even offered.
    client = signed_in_client(app, "giulia")
    data = {**_write_form(client), "community": "belgrade"}
    refused = client.post("/write", data=data)
    assert refused.status_code == 400 and "Not a valid choice" in text(refused)
    assert _count(Story) == 2


def test_posting_the_same_write_form_twice_stores_one_story(app):
    f.community("siena")
    f.account("amina", community_slug="siena")
    client = signed_in_client(app, "amina")
    data = _write_form(client)
    first = client.post("/write", data=data)
    second = client.post("/write", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(Story) == 1
    # Each showing of the form carries a new server-made id.
    assert hidden_value(text(client.get("/write")), "id") != data["id"]


def test_write_without_a_csrf_token_is_refused_and_stores_nothing(app):
    f.community("siena")
    f.account("amina", community_slug="siena")
    client = signed_in_client(app, "amina")
    data = _write_form(client)
    del data["csrf_token"]
    response = client.post("/write", data=data)
    assert response.status_code == 400
    assert "The form expired or was sent from elsewhere" in text(response)
    assert _count(Story) == 0


def test_write_errors_re_render_with_messages_keep_the_text_and_store_nothing(app):
    f.community("siena")
    f.account("amina", community_slug="siena")
    client = signed_in_client(app, "amina")
    data = _write_form(client)
    empty_title = client.post("/write", data={**data, "title": "   "})
    assert empty_title.status_code == 400
    page = text(empty_title)
    assert 'aria-invalid="true"' in page and "Then spring came." in page
    assert hidden_value(page, "id") == data["id"]  # the same id: fixing and resending stores one story
    too_long = client.post("/write", data={**data, "title": "x" * 141})
    assert too_long.status_code == 400 and 'class="error"' in text(too_long)
    control = client.post("/write", data={**data, "body": "bad \x07 bell"})
    assert control.status_code == 400 and "contains characters that are not allowed" in text(control)
    bad_visibility = client.post("/write", data={**data, "visibility": "everyone"})
    assert bad_visibility.status_code == 400
    assert _count(Story) == 0
    assert client.post("/write", data=data).status_code == 302
    assert _count(Story) == 1


def test_write_needs_an_account_and_a_community(app, client):
    assert client.get("/write").status_code == 302
    f.account("loner")
    lonely = signed_in_client(app, "loner")
    response = lonely.get("/write")
    assert response.status_code == 403
    assert "You are not a member of a community yet." in text(response)


def test_feed_is_paged_newest_first(app, client):
    from tests.pages.util import story
    f.community("siena")
    author = f.account("giulia", community_slug="siena", role="facilitator")
    for n in range(7):
        story(author, f"Story number {n}")
    app.config["FEED_PAGE_SIZE"] = 3

    def links(page):
        return {rel: href.replace("&amp;", "&") for rel, href in re.findall(r'<a rel="(prev|next)" href="([^"]+)"', page)}

    first = text(client.get("/"))
    assert first.index("Story number 6") < first.index("Story number 5") < first.index("Story number 4")
    assert "Story number 3" not in first and set(links(first)) == {"next"}
    assert links(first)["next"].startswith("/?older=")
    second = text(client.get(links(first)["next"]))
    assert second.index("Story number 3") < second.index("Story number 1") and "Story number 4" not in second
    assert set(links(second)) == {"prev", "next"} and links(second)["prev"].startswith("/?newer=")
    last = text(client.get(links(second)["next"]))
    assert "Story number 0" in last and "Story number 1" not in last and set(links(last)) == {"prev"}
    # Newer from the last page is the middle one; newer from the middle one is the first page, whole.
    assert "Story number 3" in text(client.get(links(last)["prev"]))
    back = text(client.get(links(second)["prev"]))
    assert "Story number 6" in back and "Story number 4" in back and set(links(back)) == {"next"}
    # Old page-number links and broken cursors show the newest page rather than failing.
    for url in ("/?page=2", "/?page=abc", "/?page=-4", "/?older=junk", "/?newer=2026-xyz", "/?older=1-2-3"):
        response = client.get(url)
        assert response.status_code == 200 and "Story number 6" in text(response), url


def test_user_text_is_escaped_and_isolated(app, client):
    from tests.pages.util import story
    f.community("siena")
    author = f.account("giulia", community_slug="siena", role="facilitator")
    s = story(author, "<script>alert(1)</script> \u202eevil", body="\u2067rtl <b>bold</b>")
    page = text(client.get(f"/stories/{s.id}"))
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert '<h1 dir="auto">' in page and '<div class="body" dir="auto">' in page
    feed = text(client.get("/"))
    assert '<h2 dir="auto">' in feed and '<p class="excerpt" dir="auto">' in feed
    assert "<bdi>giulia</bdi>" in feed
