"""Help requests leave no trace beyond counts: exports hold counts by topic and outcome only;
the data download holds the person's own requests and messages; deletion purges them."""
import io
import json
import uuid
import zipfile
from datetime import timedelta

from sqlalchemy import func, select

from kultialogo import personal_data
from kultialogo.extensions import db
from kultialogo.help import service
from kultialogo.help.models import HelpMessage, HelpRequest
from kultialogo.privacy import service as privacy
from kultialogo.records import Tombstone

from .conftest import ask, form_post

SECRET = "Zaynab needs a place at the Dante school"


def answered_and_closed(people):
    path = ask(people["asker"], body=SECRET, topic="education_school")
    form_post(people["mediator"].client, f"{path}/messages", path, {"body": "Reply-from-mona", "id": str(uuid.uuid4())})
    form_post(people["mediator"].client, f"{path}/close", path, {"outcome": "referred"})
    ask(people["asker"], body="A second, open one", topic="housing")
    return path


def test_exports_hold_only_counts_by_topic_and_outcome(people):
    answered_and_closed(people)
    admin = people["admin"].client
    rows = json.loads(admin.get("/exports/help.json").get_data(as_text=True))["rows"]
    assert sorted((r["community"], r["topic"], r["outcome"], r["requests"]) for r in rows) == [
        ("siena", "education_school", "referred", 1), ("siena", "housing", "open", 1)]
    csv_text = admin.get("/exports/help.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].lstrip("\ufeff") == "community,topic,outcome,requests"
    # No export carries the text, the asker or the helper.
    for what in ("help", "aggregates", "events", "attendance", "stories", "audit"):
        for fmt in ("csv", "json"):
            body = admin.get(f"/exports/{what}.{fmt}").get_data(as_text=True)
            assert SECRET not in body and "Reply-from-mona" not in body, what
            if what != "audit":
                assert "amina" not in body and "mona" not in body, what
    audit = admin.get("/exports/audit.csv").get_data(as_text=True)
    assert "help.ask" not in audit and "amina" not in audit  # who asked for help is nobody's business
    # A facilitator gets their own communities' counts; a participant none.
    assert people["facilitator"].client.get("/exports/help.json").status_code == 200
    assert people["asker"].client.get("/exports/help.json").status_code == 403


def test_the_dashboard_shows_requests_by_topic_and_the_median_time_to_first_answer(people):
    answered_and_closed(people)
    db.session.rollback()
    request = db.session.scalar(select(HelpRequest).where(HelpRequest.topic == "education_school"))
    request.first_answer_at = request.created_at + timedelta(hours=5)
    db.session.commit()
    assert service.median_hours_to_first_answer(None) == 5.0
    assert service.median_hours_to_first_answer({request.community_id + 100}) is None
    page = people["admin"].client.get("/dashboard").get_data(as_text=True)
    assert "Help requests opened, by topic" in page and "Help requests closed, by topic" in page
    assert "5 hours" in page and SECRET not in page
    arabic = people["admin"].client.get("/dashboard", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "chart-help-opened" in arabic


def test_the_data_download_holds_the_persons_requests_and_their_answers(people):
    answered_and_closed(people)
    db.session.rollback()
    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(people["asker"].account, people["asker"].account)))
    own = json.loads(archive.read("help_requests.json"))
    assert {r["body"] for r in own} == {SECRET, "A second, open one"}
    thread = next(r for r in own if r["body"] == SECRET)["messages"]
    assert [m["body"] for m in thread] == ["Reply-from-mona"]
    assert "help_requests.json" in archive.read("README.txt").decode()
    helper = zipfile.ZipFile(io.BytesIO(privacy.export_zip(people["mediator"].account, people["mediator"].account)))
    assert json.loads(helper.read("help_requests.json")) == []
    assert [m["body"] for m in json.loads(helper.read("help_messages.json"))] == ["Reply-from-mona"]


def test_deleting_the_askers_account_purges_their_requests_and_every_message_in_them(people, client):
    path = answered_and_closed(people)
    db.session.rollback()
    request_id = path.rsplit("/", 1)[1]
    privacy.delete_account(people["asker"].account, people["asker"].account, personal_data.ANONYMISE)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == 0
    assert db.session.scalar(select(func.count()).select_from(HelpMessage)) == 0
    # The helpers' phones learn of it as tombstones; nobody else gets even those.
    seen = client.get("/api/v1/sync/pull", query_string={"kinds": "help_request,help_message"},
                      headers=people["mediator"].headers).get_json()["items"]
    assert request_id in {i["id"] for i in seen if i["type"] == "help_request"}
    assert len(seen) == 3 and all(i.get("deleted") is True for i in seen)  # 2 requests, 1 message
    for name in ("facilitator", "other_mediator", "outsider"):
        items = client.get("/api/v1/sync/pull", query_string={"kinds": "help_request,help_message"},
                           headers=people[name].headers).get_json()["items"]
        assert items == [], name
    assert db.session.scalar(select(func.count()).select_from(Tombstone)) == 3


def test_deleting_a_helpers_account_removes_their_messages(people):
    path = answered_and_closed(people)
    db.session.rollback()
    privacy.delete_account(people["mediator"].account, people["mediator"].account, personal_data.DELETE)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HelpMessage)) == 0
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == 2
    assert people["asker"].client.get(path).status_code == 200
