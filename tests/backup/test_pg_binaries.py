"""Finding pg_dump, pg_restore and psql, and saying clearly when they are missing."""
import pytest

from kultialogo.backup import databases
from kultialogo.backup.archive import BackupError


def test_missing_postgresql_programs_are_named_with_how_to_install_them(monkeypatch):
    monkeypatch.setattr(databases.shutil, "which", lambda name: None)
    monkeypatch.setattr(databases.glob, "glob", lambda pattern: [])
    with pytest.raises(BackupError, match=r"pg_dump was not found .*apt-get install postgresql-client"):
        databases.pg_binary("pg_dump")


def test_the_newest_server_version_folder_is_used_when_not_on_path(monkeypatch):
    monkeypatch.setattr(databases.shutil, "which", lambda name: None)
    monkeypatch.setattr(databases.glob, "glob", lambda pattern: [
        "/usr/lib/postgresql/9/bin/pg_dump", "/usr/lib/postgresql/15/bin/pg_dump", "/usr/lib/postgresql/13/bin/pg_dump"])
    assert databases.pg_binary("pg_dump") == "/usr/lib/postgresql/15/bin/pg_dump"
