"""The "waiting for review" list: only for facilitators of that community and admins."""
from tests import factories as f
from tests.pages.util import signed_in_client, story, text


def _setup():
    f.community("siena")
    f.community("belgrade")
    amina = f.account("amina", community_slug="siena")
    milan = f.account("milan", community_slug="belgrade")
    f.account("giulia", community_slug="siena", role="facilitator")
    f.account("jelena", community_slug="belgrade", role="facilitator")
    f.account("root", is_admin=True)
    return story(amina, "Siena pending", community="siena"), story(milan, "Belgrade pending", community="belgrade")


def test_review_list_shows_only_the_facilitators_communities(app):
    _setup()
    giulia = text(signed_in_client(app, "giulia").get("/review"))
    assert "Siena pending" in giulia and "Belgrade pending" not in giulia
    jelena = text(signed_in_client(app, "jelena").get("/review"))
    assert "Belgrade pending" in jelena and "Siena pending" not in jelena
    root = text(signed_in_client(app, "root").get("/review"))
    assert "Siena pending" in root and "Belgrade pending" in root
    assert 'href="/review"' in giulia  # the nav shows Review to those who may review


def test_review_list_is_refused_to_participants_and_anonymous(app):
    _setup()
    participant = signed_in_client(app, "amina")
    assert participant.get("/review").status_code == 403
    assert 'href="/review"' not in text(participant.get("/"))
    anonymous = signed_in_client(app, None).get("/review")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/signin")


def test_publish_from_the_review_list_puts_the_story_on_the_feed(app):
    siena, _ = _setup()
    client = signed_in_client(app, "giulia")
    page = text(client.get("/review"))
    assert f'action="/review/{siena.id}/publish?next=queue"' in page
    assert "Siena pending" not in text(signed_in_client(app, None).get("/"))
    response = client.post(f"/review/{siena.id}/publish?next=queue", data={"csrf_token": f.csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/review"
    after = text(client.get("/review"))
    assert "Story published." in after and "Siena pending" not in after
    assert "Siena pending" in text(signed_in_client(app, None).get("/"))


def test_reject_with_a_reason_the_author_can_read(app):
    siena, _ = _setup()
    client = signed_in_client(app, "giulia")
    page = text(client.get("/review"))
    response = client.post(f"/review/{siena.id}/reject?next=queue",
                           data={"csrf_token": f.csrf_from(page), "reason": "Please remove the street name."})
    assert response.status_code == 302
    author_page = text(signed_in_client(app, "amina").get(f"/stories/{siena.id}"))
    assert "Not published" in author_page and "Please remove the street name." in author_page
    assert "Siena pending" not in text(signed_in_client(app, None).get("/"))


def test_moderation_is_refused_outside_ones_community_and_without_a_token(app):
    siena, _ = _setup()
    jelena = signed_in_client(app, "jelena")
    page = text(jelena.get("/review"))
    refused = jelena.post(f"/review/{siena.id}/publish", data={"csrf_token": f.csrf_from(page)})
    assert refused.status_code in (403, 404)
    giulia = signed_in_client(app, "giulia")
    no_token = giulia.post(f"/review/{siena.id}/publish")
    assert no_token.status_code == 400
    participant = signed_in_client(app, "amina")
    token = f.csrf_from(text(participant.get("/")))
    assert participant.post(f"/review/{siena.id}/publish", data={"csrf_token": token}).status_code in (403, 404)
    assert "Siena pending" not in text(signed_in_client(app, None).get("/"))
