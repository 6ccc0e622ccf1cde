"""The dashboard's "replies per week" chart equals the replies the test inserted, per week and
community; a facilitator sees their own community only."""
import uuid
from collections import Counter
from datetime import date, datetime, timezone

from kultialogo.extensions import db
from kultialogo.replies.models import Reply
from tests.dashboard import helpers as h
from tests.dashboard.test_numbers import _check, _page

from .conftest import published_story

FIRST, LAST = date(2026, 6, 10), date(2026, 7, 19)
WHEN = [datetime(2026, 6, 10, 0, 0, tzinfo=timezone.utc), datetime(2026, 6, 14, 23, 59, 59, tzinfo=timezone.utc),
        datetime(2026, 6, 15, 0, 0, tzinfo=timezone.utc), datetime(2026, 7, 1, 12, tzinfo=timezone.utc),
        datetime(2026, 7, 20, 0, 0, tzinfo=timezone.utc),  # after the range
        datetime(2026, 6, 9, 23, 59, tzinfo=timezone.utc)]  # before it


def test_replies_per_week_match_the_database(app, cast):
    siena = published_story(cast)
    belgrade = published_story({**cast, "author": cast["other_facilitator"], "facilitator": cast["other_facilitator"]},
                               community="belgrade")
    f_admin = cast["admin"].account.username
    expected = Counter()
    for n, at in enumerate(WHEN):
        for story_id, slug, times in ((siena, "Siena", 2), (belgrade, "Belgrade", 1)):
            for k in range(times):
                db.session.add(Reply(sync_id=uuid.uuid4(), story_id=story_id, author_id=cast["author"].id,
                                     body="Hello", status="published" if k == 0 else "hidden",
                                     created_at=at, updated_at=at, revision=1000 + n * 10 + k))
                if FIRST <= at.date() <= LAST:
                    expected[(h.week_of(at.date()), slug)] += 1
    db.session.commit()
    periods = h.periods(FIRST, LAST, "week")
    tables = _page(app, f_admin, **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    _check(tables["table-replies"], periods, ["Siena", "Belgrade"],
           lambda p: [expected[(p, "Siena")], expected[(p, "Belgrade")]])
    assert sum(expected.values()) == 12
    tables = _page(app, cast["facilitator"].account.username, **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    _check(tables["table-replies"], periods, ["Siena"], lambda p: [expected[(p, "Siena")]])
