"""An assembly's phones opening the app at once (#18), for locust (bench/load.py runs it).

Each simulated phone has an account of its own (a bearer token from the file named by
KULTIALOGO_LOAD_TOKENS, one per line) and does what the app does: reads the feed page, pulls
its changes from its cursor (its ETag: 304 when nothing is new), and now and then pushes a story
it wrote; a push whose answer is lost is sent again, and must be stored once.
"""
import itertools
import os
import uuid

from locust import HttpUser, between, task

from kultialogo.sync.service import PROTOCOL_VERSION as PROTOCOL  # as the shell pushes

TOKENS = open(os.environ["KULTIALOGO_LOAD_TOKENS"]).read().split()
# The ids of the stories the server said it created, one per line: the load test checks each is
# stored once (a push in flight when the run stops may be stored without being counted here).
ACKED = open(os.environ["KULTIALOGO_LOAD_ACKED"], "a", buffering=1) if os.environ.get("KULTIALOGO_LOAD_ACKED") else None
COMMUNITY = os.environ.get("KULTIALOGO_LOAD_COMMUNITY", "assembly")
_phones = itertools.count()


def story() -> dict:
    return {"type": "story", "op": "upsert", "id": str(uuid.uuid4()), "base_etag": None, "data": {
        "title": "At the assembly", "body": "We met in the big hall and shared bread after the talks.",
        "language": "en", "community": COMMUNITY, "visibility": "community", "author_display": "pseudonym",
        "consent": {"kind": "self", "recorded_by": None, "at": None}, "media": [],
        "created_at": "2026-12-04T10:00:00Z"}}


class Phone(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {TOKENS[next(_phones) % len(TOKENS)]}"}
        self.cursor = None
        self.etag = None

    @task(3)
    def feed(self):
        self.client.get("/", name="feed page")

    @task(6)
    def pull(self):
        params = {"limit": 50, **({"cursor": self.cursor} if self.cursor else {})}
        headers = {**self.headers, **({"If-None-Match": self.etag} if self.etag else {})}
        with self.client.get("/api/v1/sync/pull", params=params, headers=headers, name="pull",
                             catch_response=True) as response:
            if response.status_code == 304:
                response.success()
            elif response.status_code == 200:
                page = response.json()
                # Asked again from the same cursor, an unchanged page is a 304 (the same ETag).
                same = page["cursor"] == self.cursor and not page["more"]
                self.etag = response.headers.get("ETag") if same else None
                self.cursor = page["cursor"]
            else:
                response.failure(f"pull answered {response.status_code}")

    @task(1)
    def push(self):
        item = story()
        for attempt in range(2):  # the second: as if the first answer were lost on the way
            with self.client.post("/api/v1/sync/push", json={"items": [item], "protocol": PROTOCOL}, headers=self.headers,
                                  name="push", catch_response=True) as response:
                result = response.json()["results"][0]["result"] if response.status_code == 200 else None
                if result != ("created" if attempt == 0 else "unchanged"):
                    response.failure(f"push answered {response.status_code} {result}")
                elif attempt == 0 and ACKED is not None:
                    ACKED.write(item["id"] + "\n")
