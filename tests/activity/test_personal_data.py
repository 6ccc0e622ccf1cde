"""Follows and push subscriptions are in the person's data download, and go with the account."""
import io
import json
import zipfile

from sqlalchemy import func, select

from kultialogo.activity.models import Follow
from kultialogo.extensions import db
from kultialogo.webpush.models import PushSubscription
from tests import factories as f

SUB = {"endpoint": "https://push.example/abc", "keys": {
    "p256dh": "BOr1Xp1KFMh0z5bZtY9XmwbnJzmkHMcbbWYNKBm_4pG_6lmVq7TdqURHbxOOXfpa7mzcIWRP-xF8GmFm3cQQhUg",
    "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}


def _count(model, account_id):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(model.account_id == account_id))


def test_download_holds_follows_and_subscriptions_without_keys_and_deletion_removes_them(client, cast, web):
    bilal = web("other_participant")
    assert bilal.form("/follow/community/siena", {"next": "/activity"}, page="/activity").status_code == 302
    assert client.post("/api/v1/webpush/subscriptions", json=SUB,
                       headers=cast["other_participant"].headers).status_code == 201
    archive = zipfile.ZipFile(io.BytesIO(bilal.get("/account/data.zip").data))
    follows = json.loads(archive.read("follows.json"))
    subs = json.loads(archive.read("push_subscriptions.json"))
    assert [x["community"] for x in follows] == ["siena"]
    assert [s["endpoint"] for s in subs] == [SUB["endpoint"]]
    assert SUB["keys"]["auth"] not in archive.read("push_subscriptions.json").decode()

    account_id = cast["other_participant"].id
    response = bilal.form("/account/delete", {"stories": "delete", "password": f.PASSWORD, "confirm": "y"},
                          page="/account/delete")
    assert response.status_code in (200, 302)
    assert _count(Follow, account_id) == 0 and _count(PushSubscription, account_id) == 0
