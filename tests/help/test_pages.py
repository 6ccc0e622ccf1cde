"""The help pages: who sees a request (only the asker and that community's mediators and
coaches; everyone else 404), and the flow of claiming, answering and closing."""
import uuid

import pytest
from sqlalchemy import select

from kultialogo.extensions import db
from kultialogo.help.models import HelpMessage, HelpRequest

from .conftest import ask, form_post

SEE = ("asker", "mediator", "coach")
NOT_SEE = ("facilitator", "other_mediator", "outsider", "admin", "neighbour")


def stored(path) -> HelpRequest:
    db.session.rollback()
    return db.session.scalar(select(HelpRequest).where(HelpRequest.sync_id == uuid.UUID(path.rsplit("/", 1)[1])))


def test_only_the_asker_and_the_communitys_mediators_and_coaches_see_a_request(people):
    path = ask(people["asker"], body="Secret: my son needs a school place")
    for name in SEE:
        page = people[name].client.get(path)
        assert page.status_code == 200, name
        assert "Secret: my son needs a school place" in page.get_data(as_text=True)
        assert page.headers["Cache-Control"] == "no-store"
    for name in NOT_SEE:
        page = people[name].client.get(path)
        assert page.status_code == 404, name
        assert "Secret" not in page.get_data(as_text=True)
    anonymous = people["anonymous"].client.get(path)
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    # An id that does not exist looks exactly like one that is not yours.
    assert people["outsider"].client.get(f"/help/{uuid.uuid4()}").status_code == 404


@pytest.mark.parametrize("name", NOT_SEE)
def test_nobody_else_can_answer_claim_or_close(people, name):
    path = ask(people["asker"])
    person = people[name]
    for action, data in (("messages", {"body": "hello", "id": str(uuid.uuid4())}), ("claim", {}),
                         ("close", {"outcome": "resolved"})):
        response = form_post(person.client, f"{path}/{action}", "/help" if name != "outsider" else "/help", data)
        assert response.status_code == 404, (name, action)
    request = stored(path)
    assert request.state == "open" and request.messages == []


def test_the_queue_lists_open_requests_by_topic_for_helpers_only(people):
    ask(people["asker"], body="About school", topic="education_school")
    ask(people["asker"], body="About a flat", topic="housing")
    page = people["mediator"].client.get("/help/queue").get_data(as_text=True)
    assert page.index("Education and school enrolment") < page.index("Housing")
    assert "Amina" in page and "About school" not in page  # the queue shows no text
    for name in ("facilitator", "asker", "outsider", "admin", "other_mediator"):
        response = people[name].client.get("/help/queue")
        if name == "other_mediator":  # helps in belgrade: an empty queue, none of siena's
            assert "Amina" not in response.get_data(as_text=True)
        else:
            assert response.status_code == 404, name


def test_claim_answer_and_close(people):
    path = ask(people["asker"], body="طفلي يحتاج مقعدا في المدرسة", language="ar")
    mediator, coach, asker = people["mediator"], people["coach"], people["asker"]
    assert form_post(mediator.client, f"{path}/claim", path, {}).status_code == 302
    request = stored(path)
    assert request.state == "claimed" and request.claimed_by_id == mediator.id
    # Claimed: the other helper of the community may read but no longer answer or close.
    assert 'name="body"' not in coach.client.get(path).get_data(as_text=True)
    assert form_post(coach.client, f"{path}/messages", path, {"body": "Me too", "id": str(uuid.uuid4())}).status_code == 403
    assert form_post(coach.client, f"{path}/claim", path, {}).status_code == 409
    answer = form_post(mediator.client, f"{path}/messages", path, {"body": "Come on Monday at 10", "id": str(uuid.uuid4())})
    assert answer.status_code == 302
    assert stored(path).first_answer_at is not None
    assert "Come on Monday at 10" in asker.client.get(path).get_data(as_text=True)
    reply = form_post(asker.client, f"{path}/messages", path, {"body": "Thank you", "id": str(uuid.uuid4())})
    assert reply.status_code == 302
    assert form_post(mediator.client, f"{path}/close", path, {"outcome": "resolved"}).status_code == 302
    request = stored(path)
    assert (request.state, request.outcome) == ("closed", "resolved") and request.closed_at is not None
    assert [m.body for m in request.messages] == ["Come on Monday at 10", "Thank you"]
    page = asker.client.get("/help").get_data(as_text=True)
    assert "Closed" in page and "Resolved" in page
    late = form_post(asker.client, f"{path}/messages", path, {"body": "One more", "id": str(uuid.uuid4())})
    assert late.status_code == 409


def test_an_unclaimed_request_is_claimed_by_the_first_helper_who_answers(people):
    path = ask(people["asker"])
    form_post(people["coach"].client, f"{path}/messages", path, {"body": "I can help", "id": str(uuid.uuid4())})
    request = stored(path)
    assert request.state == "claimed" and request.claimed_by_id == people["coach"].id


def test_the_same_form_sent_twice_stores_one_request_and_one_message(people):
    asker = people["asker"]
    request_id = str(uuid.uuid4())
    first = ask(asker, id=request_id)
    second = ask(asker, id=request_id)
    assert first == second
    message_id = str(uuid.uuid4())
    for _ in range(2):
        form_post(asker.client, f"{first}/messages", first, {"body": "Any news?", "id": message_id})
    db.session.rollback()
    assert db.session.query(HelpRequest).count() == 1
    assert db.session.query(HelpMessage).count() == 1


def test_bad_input_is_refused_with_a_message_and_nothing_stored(people):
    asker = people["asker"]
    too_long = form_post(asker.client, "/help", "/help", {"community": "siena", "topic": "education_school",
                                                           "language": "en", "body": "x" * 5000, "id": str(uuid.uuid4())})
    assert too_long.status_code == 400
    bad_topic = form_post(asker.client, "/help", "/help", {"community": "siena", "topic": "lottery",
                                                           "language": "en", "body": "x", "id": str(uuid.uuid4())})
    assert bad_topic.status_code == 400
    db.session.rollback()
    assert db.session.query(HelpRequest).count() == 0
    # Someone in no community has nobody to ask.
    assert people["outsider"].client.post("/help", data={"body": "x"}).status_code in (400, 403)


def test_a_facilitator_opens_a_request_on_someones_behalf_with_their_consent(people):
    facilitator, asker = people["facilitator"], people["asker"]
    form = facilitator.client.get("/help").get_data(as_text=True)
    assert "On behalf of" in form and "verbal consent" in form
    response = form_post(facilitator.client, "/help", "/help", {
        "community": "siena", "topic": "documents", "language": "fa", "body": "Residence permit",
        "id": str(uuid.uuid4()), "on_behalf": f"siena:{asker.account.uid}", "consent_kind": "written"})
    assert response.status_code == 302
    db.session.rollback()
    request = db.session.scalar(select(HelpRequest))
    assert (request.asker_id, request.recorded_by_id, request.consent_kind) == (asker.id, facilitator.id, "written")
    assert request.consent_at is not None
    # The person sees it among their own; the facilitator, who is no mediator, does not.
    assert "Documents and public services" in asker.client.get("/help").get_data(as_text=True)
    assert facilitator.client.get(f"/help/{request.sync_id}").status_code == 404
    assert "(written)" in people["mediator"].client.get(f"/help/{request.sync_id}").get_data(as_text=True)
    # Not for someone outside the communities they facilitate.
    outside = form_post(facilitator.client, "/help", "/help", {
        "community": "siena", "topic": "documents", "language": "fa", "body": "x",
        "id": str(uuid.uuid4()), "on_behalf": f"siena:{people['outsider'].account.uid}", "consent_kind": "verbal"})
    assert outside.status_code == 400  # not among the choices
    assert db.session.query(HelpRequest).count() == 1


def test_an_admin_marks_mediators_and_coaches_on_the_members_page(people):
    admin, facilitator = people["admin"], people["facilitator"]
    page = admin.client.get("/admin/communities/siena/members").get_data(as_text=True)
    assert "Mediator" in page and "Coach" in page
    response = form_post(admin.client, f"/admin/communities/siena/members/{facilitator.id}/helps",
                         "/admin/communities/siena/members", {"is_coach": "y"})
    assert response.status_code == 302
    path = ask(people["asker"])
    assert facilitator.client.get(path).status_code == 200
    # Participants cannot be marked; facilitators cannot mark anyone.
    form_post(admin.client, f"/admin/communities/siena/members/{people['neighbour'].id}/helps",
              "/admin/communities/siena/members", {"is_mediator": "y"})
    assert people["neighbour"].client.get(path).status_code == 404
    refused = form_post(people["mediator"].client, f"/admin/communities/siena/members/{people['neighbour'].id}/helps",
                        "/help", {"is_mediator": "y"})
    assert refused.status_code == 403
