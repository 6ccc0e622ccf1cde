"""The media part of a person's data: the photos and recordings of their stories and those they uploaded."""
from sqlalchemy import select

from ..extensions import db
from ..personal_data import Part
from ..stories.models import Story
from .models import MediaFile
from .service import release_after_commit
from .store import get_store


def _hashes_of(person) -> list[str]:
    hashes: list[str] = []
    for media in db.session.scalars(select(Story.media).where(Story.author_id == person.id)
                                    .order_by(Story.received_at)):
        for sha in media or []:
            if sha not in hashes:
                hashes.append(sha)
    for sha in db.session.scalars(select(MediaFile.sha256).where(MediaFile.uploader_id == person.id)):
        if sha not in hashes:
            hashes.append(sha)
    return hashes


def _export(person) -> dict:
    files: dict = {}
    index = []
    store = get_store()
    for sha in _hashes_of(person):
        row = db.session.get(MediaFile, sha)
        path = store.local_path(sha) if row is not None else None
        if path is None:
            continue
        ext = (row.content_type.split("/")[-1] or "bin").replace("jpeg", "jpg")
        name = f"media/{sha}.{ext}"
        files[name] = path
        index.append({"sha256": sha, "file": name, "type": row.content_type})
    files["media.json"] = index
    return files


def _forget(person, choice, revs) -> None:
    # Listed before the stories part withdraws anything; files no remaining story uses are
    # deleted once the deletion commits.
    release_after_commit(list(db.session.scalars(select(MediaFile.sha256)
                                                 .where(MediaFile.uploader_id == person.id))))


PART = Part("media", "media/ (your photos and recordings) and media.json (their list)", _export, _forget, order=10)
