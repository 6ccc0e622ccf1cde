"""The same stories pushed at once by many clients, through two real server processes on one
database: every story stored once, reported `created` exactly once, everything else `unchanged`."""
import random
import threading
import uuid
from collections import Counter

import pytest
import requests

from kultialogo.stories.models import Story
from tests import factories as f

from .conftest import PUSH, count_rows, direct_token

THREADS = 8
ROUNDS = 3
STORIES = 100
BATCH = 10


@pytest.mark.slow
def test_concurrent_pushes_of_the_same_stories_store_each_once(app, live_server_factory):
    f.community("siena")
    amina = f.account("amina", community_slug="siena")
    # One token per thread: the published rate limit is per token, and a phone never pushes
    # 30 times in a few seconds.
    tokens = [direct_token(amina) for _ in range(THREADS)]
    servers = [live_server_factory(threads=8), live_server_factory(threads=8)]
    items = [f.item(title=f"Story {i}", body=f"Told {i} times over.") for i in range(STORIES)]

    results: list[dict] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def client(n: int) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {tokens[n]}"}
        rng = random.Random(n)
        start.wait()
        for round_ in range(ROUNDS):
            order = items[:]
            rng.shuffle(order)  # every thread meets the others on different ids
            for k in range(0, STORIES, BATCH):
                server = servers[(n + round_ + k // BATCH) % 2]
                try:
                    response = session.post(server.url + PUSH, json={"items": order[k:k + BATCH]},
                                            headers=headers, timeout=120)
                except requests.RequestException as exc:
                    with lock:
                        failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    if response.status_code != 200:
                        failures.append(f"{response.status_code}: {response.text[:300]}")
                    else:
                        results.extend(response.json()["results"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    assert len(results) == THREADS * ROUNDS * STORIES
    outcomes = Counter(r["result"] for r in results)
    assert outcomes == {"created": STORIES, "unchanged": THREADS * ROUNDS * STORIES - STORIES}
    created_ids = Counter(r["id"] for r in results if r["result"] == "created")
    assert set(created_ids) == {i["id"] for i in items} and set(created_ids.values()) == {1}
    assert count_rows(Story) == STORIES
    etags = {r["id"]: r["story"]["etag"] for r in results if r["result"] == "created"}
    assert all(r["story"]["etag"] == etags[r["id"]] for r in results)
    revisions = sorted(r["story"]["revision"] for r in results if r["result"] == "created")
    assert len(set(revisions)) == STORIES  # one revision per story, never shared
    assert uuid.UUID(items[0]["id"])  # ids are the client's
