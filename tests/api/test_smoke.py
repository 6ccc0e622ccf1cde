from tests import factories as f


def test_push_creates_once_and_replay_is_unchanged(app, client):
    f.community("siena")
    f.account("amina", community_slug="siena")
    tok = f.token(client, "amina")
    item = f.item()
    first = client.post("/api/v1/sync/push", json={"items": [item]}, headers=f.bearer(tok))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["results"][0]["result"] == "created"
    again = client.post("/api/v1/sync/push", json={"items": [item]}, headers=f.bearer(tok))
    assert again.get_json()["results"][0]["result"] == "unchanged"
