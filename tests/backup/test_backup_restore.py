"""kultialogo backup / restore: a round trip on an empty target, damaged files, non-empty
targets, and withdrawals that stay withdrawn (on SQLite and PostgreSQL)."""
import json
import tarfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.privacy.service import ANONYMISE_STORIES, DELETE_STORIES, delete_account
from kultialogo.stories import service as stories
from kultialogo.stories.models import STATUS_WITHDRAWN, Story
from tests import factories as f
from tests.api.conftest import Person, direct_token, pull_all, push_one
from tests.media import tus

from .conftest import media_checksums, run_cli, story_rows


def backup_to(app, tmp_path, name="backup.tar") -> Path:
    path = tmp_path / name
    result = run_cli(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output
    return path


def pulls(app, *people) -> list:
    client = app.test_client()
    return [pull_all(client, person)[0] for person in (None, *people)]


def listing(folder: Path) -> list:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_round_trip_on_an_empty_target_gives_identical_stories_and_media(app, content, target_factory, tmp_path):
    amina, root = content["amina"], content["root"]
    before_pulls = pulls(app, amina, root)
    before_rows = story_rows(app)
    before_media = media_checksums(app)
    assert len(before_media) == 3  # the withdrawn story's photo went with it
    path = backup_to(app, tmp_path)

    target = target_factory()
    result = run_cli(target, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "Restored 4 stories (1 withdrawn)" in result.output

    assert story_rows(target) == before_rows
    assert pulls(target, amina, root) == before_pulls  # the same tokens work: they were restored too
    assert media_checksums(target) == before_media
    client = target.test_client()
    assert tus.fetch(client, content["shas"][0]).status_code == 200
    with target.app_context():  # the schema is at head: the app writes on the restored data
        assert push_one(client, amina, f.item(title="After the restore"))["result"] == "created"


def test_manifest_lists_every_file_with_its_checksum_and_the_counts(app, content, tmp_path):
    path = backup_to(app, tmp_path)
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = set(tar.getnames())
    assert manifest["counts"] == {"accounts": 2, "stories": 4, "withdrawn_stories": 1, "media_files": 3,
                                  "media_files_in_backup": 3}
    assert names == set(manifest["files"]) | {"manifest.json", "manifest.sha256"}
    assert {n.rsplit("/", 1)[1] for n in manifest["files"] if n.startswith("media/")} == set(content["shas"][:2]) | {
        content["shas"][3]}
    assert set(media_checksums(app).values()) == {v["sha256"] for n, v in manifest["files"].items()
                                                  if n.startswith("media/")}


@pytest.mark.parametrize("member", ["database", "media", "manifest"])
def test_a_damaged_backup_is_refused_and_nothing_is_written(app, content, target_factory, tmp_path, member):
    path = backup_to(app, tmp_path)
    with tarfile.open(path) as tar:
        chosen = next(m for m in tar.getmembers() if
                      {"database": m.name.startswith("database."), "media": m.name.startswith("media/"),
                       "manifest": m.name == "manifest.json"}[member])
        offset = chosen.offset_data + chosen.size // 2
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))

    target = target_factory()
    data_dir = Path(target.config["DATA_DIR"])
    with target.app_context():
        before = listing(data_dir)
        tables_before = sorted(db.inspect(db.engine).get_table_names())
        db.engine.dispose()
    result = run_cli(target, "restore", str(path))
    assert result.exit_code == 1
    assert "is damaged" in result.output and "Traceback" not in result.output
    with target.app_context():
        assert listing(data_dir) == before
        assert sorted(db.inspect(db.engine).get_table_names()) == tables_before == []


def test_restore_refuses_a_database_that_is_not_empty_without_force(app, content, client, tmp_path):
    path = backup_to(app, tmp_path)
    later = f.item(title="Written after the backup")
    assert push_one(client, content["amina"], later)["result"] == "created"
    db.session.remove()
    result = run_cli(app, "restore", str(path))
    assert result.exit_code == 1
    assert "not empty" in result.output and "--force" in result.output
    assert db.session.get(Story, uuid.UUID(later["id"])) is not None  # untouched

    result = run_cli(app, "restore", "--force", str(path))
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.get(Story, uuid.UUID(later["id"])) is None
    assert db.session.scalar(select(func.count()).select_from(Story)) == 4


def test_withdrawn_stays_withdrawn_on_a_new_machine(app, content, target_factory, tmp_path):
    path = backup_to(app, tmp_path)
    target = target_factory()
    assert run_cli(target, "restore", str(path)).exit_code == 0
    with target.app_context():
        story = db.session.get(Story, content["withdrawn"])
        assert story.status == STATUS_WITHDRAWN and story.title == "" and story.body == "" and story.media == []
        db.session.remove()
    client = target.test_client()
    items, _ = pull_all(client, content["amina"])
    assert {"id": str(content["withdrawn"]), "deleted": True} == {
        k: v for k, v in next(i for i in items if i["id"] == str(content["withdrawn"])).items() if k != "revision"}
    assert content["shas"][2] not in media_checksums(target)
    assert tus.fetch(client, content["shas"][2], content["root"].headers).status_code == 404


def test_withdrawals_made_after_the_backup_are_applied_again_on_a_forced_restore(app, content, client, tmp_path):
    amina = content["amina"]
    kept, goes = content["items"][0], content["items"][1]  # each has its own photo
    path = backup_to(app, tmp_path)
    # Written after the backup (so lost by the restore): the phone's cursor is now past every
    # revision the backup knows, and the restored counter starts below it.
    assert push_one(client, amina, f.item(title="After the backup"))["result"] == "created"
    _, cursor = pull_all(client, amina)  # a phone is up to date with the current database
    person = db.session.get(Account, content["amina_id"])
    assert stories.withdraw_one(person, uuid.UUID(goes["id"])).result == "updated"
    db.session.remove()
    photo = content["shas"][1]
    assert photo not in media_checksums(app)

    result = run_cli(app, "restore", "--force", str(path))
    assert result.exit_code == 0, result.output
    assert "1 later withdrawals, 0 later deletions of other records and 0 later account deletions applied again" in result.output
    db.session.remove()
    story = db.session.get(Story, uuid.UUID(goes["id"]))
    assert story.status == STATUS_WITHDRAWN and story.title == "" and story.media == []
    assert db.session.get(Story, uuid.UUID(kept["id"])).title == "By the river"
    db.session.remove()
    assert photo not in media_checksums(app)  # the backup's copy was deleted again
    assert content["shas"][0] in media_checksums(app)
    # The phone, pulling on from where it was, still gets the deletion.
    items, _ = pull_all(client, amina, cursor=cursor)
    assert [i for i in items if i["id"] == goes["id"]] and all(
        i.get("deleted") for i in items if i["id"] == goes["id"])


def test_accounts_deleted_after_the_backup_are_deleted_again_on_a_forced_restore(app, content, client, tmp_path):
    bilal = Person(f.account("bilal", community_slug="siena"), None)
    chiara = Person(f.account("chiara", community_slug="siena"), None)
    bilal.token, chiara.token = direct_token(bilal.account), direct_token(chiara.account)
    ids = {"bilal": bilal.account.id, "chiara": chiara.account.id}
    gone, kept = f.item(title="Bilal's story"), f.item(title="Chiara's story")
    assert push_one(client, bilal, gone)["result"] == "created"
    assert push_one(client, chiara, kept)["result"] == "created"
    path = backup_to(app, tmp_path)
    for name, choice in (("bilal", DELETE_STORIES), ("chiara", ANONYMISE_STORIES)):
        person = db.session.get(Account, ids[name])
        delete_account(person, person, choice)
        db.session.remove()

    result = run_cli(app, "restore", "--force", str(path))
    assert result.exit_code == 0, result.output
    assert "2 later account deletions applied again" in result.output
    db.session.remove()
    assert db.session.get(Account, ids["bilal"]) is None and db.session.get(Account, ids["chiara"]) is None
    story = db.session.get(Story, uuid.UUID(gone["id"]))
    assert story.status == STATUS_WITHDRAWN and story.title == "" and story.author_id is None
    story = db.session.get(Story, uuid.UUID(kept["id"]))
    assert story.title == "Chiara's story" and story.author_id is None and story.author_display == "anonymous"
    assert db.session.get(Account, content["amina_id"]) is not None


def test_replies_reactions_and_follows_deleted_after_the_backup_are_deleted_again(app, content, client, tmp_path):
    amina = content["amina"]
    story = content["items"][0]["id"]
    made = {"reply": {"story": story, "body": "Thank you for this"}, "reaction": {"story": story, "kind": "thanks"},
            "follow": {"story": story}}
    ids = {kind: str(uuid.uuid4()) for kind in made}
    for kind, data in made.items():
        assert push_one(client, amina, {"type": kind, "op": "upsert", "id": ids[kind], "data": data})["result"] \
            == "created", kind
    path = backup_to(app, tmp_path)
    _, cursor = pull_all(client, amina, kinds="story,reply,reaction,follow")
    for kind in made:  # taken back by the person after the backup
        assert push_one(client, amina, {"type": kind, "op": "delete", "id": ids[kind]})["result"] == "updated", kind
    kept = str(uuid.uuid4())  # one written after the backup too: lost with it, and nobody deleted it
    assert push_one(client, amina, {"type": "reply", "op": "upsert", "id": kept,
                                    "data": {"story": story, "body": "Written later"}})["result"] == "created"

    result = run_cli(app, "restore", "--force", str(path))
    assert result.exit_code == 0, result.output
    assert "3 later deletions of other records" in result.output
    db.session.remove()
    items, _ = pull_all(client, amina, kinds="story,reply,reaction,follow")
    assert not {i["id"] for i in items if not i.get("deleted")} & set(ids.values())
    # A phone that held them, pulling on from where it was, is told to drop them.
    later, _ = pull_all(client, amina, cursor=cursor, kinds="story,reply,reaction,follow")
    tombstones = {i["id"] for i in later if i.get("deleted")}
    assert set(ids.values()) <= tombstones
    assert "Thank you for this" not in str(story_rows(app))
    # Restoring the same backup over this again deletes them again: the tombstones carry over.
    result = run_cli(app, "restore", "--force", str(path))
    assert result.exit_code == 0, result.output
    assert "3 later deletions of other records" in result.output
    db.session.remove()
    items, _ = pull_all(client, amina, kinds="story,reply,reaction,follow")
    assert not {i["id"] for i in items if not i.get("deleted")} & set(ids.values())
