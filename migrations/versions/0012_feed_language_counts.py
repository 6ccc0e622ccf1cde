"""feed_language_counts: the feed's language menu kept as counts, and feed indexes for keyset pages

The menu listed the languages of every story a reader may read with SELECT DISTINCT over all
of them (35 of 42 ms of the feed page at 100,000 stories). Now a small table holds, per
audience, how many stories (originals and published translations) are in each language:

    audience   the visibility of published stories ("public", "community", "facilitators"),
               or "author" for an author's own stories that are not withdrawn
    owner_id   the community of those published stories, or the author's account id
    language   a language tag; stories: how many (rows at 0 are deleted)

Triggers keep it in the same transaction as the change, whichever way a row changes: the ORM,
the push's raw INSERTs (database.insert_in_savepoint), ON DELETE CASCADE and SET NULL, and a
savepoint rolled back undoes its count change with it. That is why triggers and not an ORM
flush hook, which sees none of those. Each trigger computes its change from the current state
of the other table, so the counts equal a full recount after every row change.

The feed index gains ``id`` (the keyset pager orders by received_at, id) and the community
index gains visibility, received_at and id, so each part of a member's feed is read in order.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 05:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COUNT_UPSERT = ("ON CONFLICT (audience, owner_id, language) "
                "DO UPDATE SET stories = feed_language_counts.stories + excluded.stories")


def story_delta(row: str, sign: int) -> str:
    """Add (sign 1) or take away (-1) a story's contribution: its audiences x its languages
    (the original and its published translations, as they are now)."""
    return f"""
INSERT INTO feed_language_counts (audience, owner_id, language, stories)
SELECT a.audience, a.owner_id, l.language, {sign} * count(*)
FROM (SELECT {row}.visibility AS audience, {row}.community_id AS owner_id
      WHERE {row}.status = 'published' AND {row}.community_id IS NOT NULL
      UNION ALL
      SELECT 'author', {row}.author_id WHERE {row}.status <> 'withdrawn' AND {row}.author_id IS NOT NULL) AS a,
     (SELECT {row}.language AS language
      UNION ALL
      SELECT t.language FROM story_translations t WHERE t.story_id = {row}.id AND t.status = 'published') AS l
WHERE true
GROUP BY a.audience, a.owner_id, l.language
{COUNT_UPSERT};"""


def translation_delta(row: str, sign: int) -> str:
    """Add or take away a published translation's contribution: its story's audiences as they are
    now (none when the story is gone: the story's own delete trigger counted it already)."""
    return f"""
INSERT INTO feed_language_counts (audience, owner_id, language, stories)
SELECT a.audience, a.owner_id, {row}.language, {sign}
FROM (SELECT s.visibility AS audience, s.community_id AS owner_id FROM stories s
      WHERE s.id = {row}.story_id AND s.status = 'published' AND s.community_id IS NOT NULL
      UNION ALL
      SELECT 'author', s.author_id FROM stories s
      WHERE s.id = {row}.story_id AND s.status <> 'withdrawn' AND s.author_id IS NOT NULL) AS a
WHERE {row}.status = 'published'
{COUNT_UPSERT};"""


def story_cleanup(row: str) -> str:
    return f"""
DELETE FROM feed_language_counts WHERE stories <= 0
  AND ((audience = {row}.visibility AND owner_id = {row}.community_id)
       OR (audience = 'author' AND owner_id = {row}.author_id));"""


def translation_cleanup(row: str) -> str:
    return f"\nDELETE FROM feed_language_counts WHERE stories <= 0 AND language = {row}.language;"


STORY_CHANGED = ("OLD.status IS NOT NEW.status OR OLD.visibility IS NOT NEW.visibility"
                 " OR OLD.community_id IS NOT NEW.community_id OR OLD.author_id IS NOT NEW.author_id"
                 " OR OLD.language IS NOT NEW.language")
TRANSLATION_CHANGED = ("OLD.status IS NOT NEW.status OR OLD.language IS NOT NEW.language"
                       " OR OLD.story_id IS NOT NEW.story_id")

# SQLite: one trigger per event, bodies written out.
SQLITE_TRIGGERS = {
    "flc_story_insert": f"AFTER INSERT ON stories BEGIN {story_delta('NEW', 1)} END",
    "flc_story_update": (f"AFTER UPDATE OF status, visibility, community_id, author_id, language ON stories "
                         f"WHEN {STORY_CHANGED} BEGIN {story_delta('OLD', -1)} {story_delta('NEW', 1)} "
                         f"{story_cleanup('OLD')} END"),
    # BEFORE: the story's translations are still there to be taken away with it.
    "flc_story_delete": f"BEFORE DELETE ON stories BEGIN {story_delta('OLD', -1)} {story_cleanup('OLD')} END",
    "flc_translation_insert": f"AFTER INSERT ON story_translations BEGIN {translation_delta('NEW', 1)} END",
    "flc_translation_update": (f"AFTER UPDATE OF status, language, story_id ON story_translations "
                               f"WHEN {TRANSLATION_CHANGED} BEGIN {translation_delta('OLD', -1)} "
                               f"{translation_delta('NEW', 1)} {translation_cleanup('OLD')} END"),
    "flc_translation_delete": (f"AFTER DELETE ON story_translations BEGIN {translation_delta('OLD', -1)} "
                               f"{translation_cleanup('OLD')} END"),
}


def _pg_distinct(condition: str) -> str:
    return condition.replace(" IS NOT ", " IS DISTINCT FROM ")


PG_FUNCTIONS = {
    "flc_story": f"""
BEGIN
  IF TG_OP <> 'INSERT' THEN {story_delta('OLD', -1)} END IF;
  IF TG_OP <> 'DELETE' THEN {story_delta('NEW', 1)} END IF;
  IF TG_OP <> 'INSERT' THEN {story_cleanup('OLD')} END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NULL;
END""",
    "flc_translation": f"""
BEGIN
  IF TG_OP <> 'INSERT' THEN {translation_delta('OLD', -1)} END IF;
  IF TG_OP <> 'DELETE' THEN {translation_delta('NEW', 1)} END IF;
  IF TG_OP <> 'INSERT' THEN {translation_cleanup('OLD')} END IF;
  RETURN NULL;
END""",
}

# New stories once per statement, from its transition table: a bulk INSERT ... SELECT (an import)
# then updates each count row once. Row by row, PostgreSQL walks every version of a count row
# that the same transaction made before, so k stories of one audience and language cost O(k^2):
# nothing for a push of 100, minutes for 100,000 in one statement. (A new story has no
# translations yet: they need the story row first.)
PG_FUNCTIONS["flc_stories_inserted"] = f"""
BEGIN
  INSERT INTO feed_language_counts (audience, owner_id, language, stories)
  SELECT audience, owner_id, language, count(*) FROM (
    SELECT visibility AS audience, community_id AS owner_id, language FROM inserted
     WHERE status = 'published' AND community_id IS NOT NULL
    UNION ALL
    SELECT 'author', author_id, language FROM inserted WHERE status <> 'withdrawn' AND author_id IS NOT NULL
  ) AS x GROUP BY audience, owner_id, language
  {COUNT_UPSERT};
  RETURN NULL;
END"""

PG_TRIGGERS = {
    "flc_story_insert": ("AFTER INSERT ON stories REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
                         "EXECUTE FUNCTION flc_stories_inserted()"),
    "flc_story_update": ("AFTER UPDATE OF status, visibility, community_id, author_id, language ON stories "
                         f"FOR EACH ROW WHEN ({_pg_distinct(STORY_CHANGED)}) EXECUTE FUNCTION flc_story()"),
    # BEFORE, as on SQLite; and the cascade's own triggers then find no story to count.
    "flc_story_delete": "BEFORE DELETE ON stories FOR EACH ROW EXECUTE FUNCTION flc_story()",
    "flc_translation_insert": "AFTER INSERT ON story_translations FOR EACH ROW EXECUTE FUNCTION flc_translation()",
    "flc_translation_update": ("AFTER UPDATE OF status, language, story_id ON story_translations FOR EACH ROW "
                               f"WHEN ({_pg_distinct(TRANSLATION_CHANGED)}) EXECUTE FUNCTION flc_translation()"),
    "flc_translation_delete": "AFTER DELETE ON story_translations FOR EACH ROW EXECUTE FUNCTION flc_translation()",
}

# The same counts from scratch (tests/translations/test_language_counts.py recounts them the same way).
BACKFILL = """
INSERT INTO feed_language_counts (audience, owner_id, language, stories)
SELECT audience, owner_id, language, count(*) FROM (
  SELECT s.visibility AS audience, s.community_id AS owner_id, s.language AS language FROM stories s
   WHERE s.status = 'published' AND s.community_id IS NOT NULL
  UNION ALL
  SELECT 'author', s.author_id, s.language FROM stories s
   WHERE s.status <> 'withdrawn' AND s.author_id IS NOT NULL
  UNION ALL
  SELECT s.visibility, s.community_id, t.language FROM story_translations t JOIN stories s ON s.id = t.story_id
   WHERE t.status = 'published' AND s.status = 'published' AND s.community_id IS NOT NULL
  UNION ALL
  SELECT 'author', s.author_id, t.language FROM story_translations t JOIN stories s ON s.id = t.story_id
   WHERE t.status = 'published' AND s.status <> 'withdrawn' AND s.author_id IS NOT NULL
) AS x GROUP BY audience, owner_id, language"""


def upgrade():
    # Keyset pages of the feed read these in (received_at, id) order, one audience at a time.
    # (Plain index operations, no batch: a batch copy of stories would drop its triggers.)
    op.drop_index("ix_stories_feed", table_name="stories")
    op.drop_index("ix_stories_community_status", table_name="stories")
    op.create_index("ix_stories_feed", "stories", ["status", "visibility", "received_at", "id"], unique=False)
    op.create_index("ix_stories_community_feed", "stories",
                    ["community_id", "status", "visibility", "received_at", "id"], unique=False)
    op.create_table(
        "feed_language_counts",
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("stories", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("audience", "owner_id", "language", name="pk_feed_language_counts"),
    )
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        for name, body in PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
        for name, spec in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {spec}")
    else:
        for name, spec in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {spec}")


def downgrade():
    op.drop_index("ix_stories_community_feed", table_name="stories")
    op.drop_index("ix_stories_feed", table_name="stories")
    op.create_index("ix_stories_community_status", "stories", ["community_id", "status"], unique=False)
    op.create_index("ix_stories_feed", "stories", ["status", "visibility", "received_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for name, spec in PG_TRIGGERS.items():
            table = "story_translations" if "translation" in name else "stories"
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("feed_language_counts")
