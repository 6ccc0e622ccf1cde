"""The one definition of a valid story, used by the sync push and by the HTML form alike."""
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from .. import limits
from ..errors import Problem
from ..userinput import clean_language, clean_text
from .models import AUTHOR_DISPLAYS, CONSENT_KINDS, VISIBILITIES

CONTENT_FIELDS = ("title", "body", "language", "community", "visibility", "author_display",
                  "consent", "media", "place", "about_minor", "event")
SERVER_FIELDS = ("status", "revision", "received_at", "etag", "conflicts", "author", "updated_at",
                 "moderation_reason", "moderation_reason_code", "moderation_reason_text", "translations")
REQUIRED_FIELDS = ("title", "body", "language", "community", "visibility")
_CONTENT_SET = frozenset(CONTENT_FIELDS)
_KNOWN_FIELDS = frozenset(CONTENT_FIELDS + SERVER_FIELDS + ("id", "created_at"))

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Community slugs as stored (communities.slug, String(40)). Anything else cannot name one, and
# must not reach the database either: a NUL or a lone surrogate there is a driver error (500).
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class StoryContent:
    """Validated, normalised author-owned content of a story."""
    title: str
    body: str
    language: str
    community: str
    visibility: str
    author_display: str
    consent: dict
    media: tuple[str, ...]
    place: str = ""
    about_minor: bool = False
    event: int | None = None  # the event it was told at (an id of the story's community)

    def as_dict(self) -> dict:
        out = {"title": self.title, "body": self.body, "language": self.language,
               "community": self.community, "visibility": self.visibility,
               "author_display": self.author_display, "consent": dict(self.consent),
               "media": list(self.media)}
        # The safety fields join the etag only when set, so etags of stories written
        # before they existed stay the same (a replay is still "unchanged").
        if self.place:
            out["place"] = self.place
        if self.about_minor:
            out["about_minor"] = True
        if self.event is not None:
            out["event"] = self.event
        if not self.consent.get("guardian"):
            out["consent"].pop("guardian", None)
        return out


def parse_story_id(value) -> uuid.UUID:
    if not isinstance(value, str):
        raise Problem("bad_id", field="id")
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise Problem("bad_id", field="id") from None
    # Only canonical 8-4-4-4-12 text, so one story cannot hide behind two spellings.
    if str(parsed) != value.lower() or parsed.version not in (4, 7):
        raise Problem("bad_id", field="id")
    return parsed


def parse_time(value, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Problem("bad_type", field=field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Problem("bad_date", field=field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        parsed = parsed.astimezone(timezone.utc)
    except OverflowError:  # "9999-12-31T23:59:59-23:59" is past year 9999 in UTC
        raise Problem("bad_date", field=field) from None
    # No device clock says 1899; and strftime("%Y") does not zero-pad years below 1000, so
    # such a consent time would not read back.
    if parsed.year < 1900:
        raise Problem("bad_date", field=field)
    return parsed


def clean_consent(value) -> dict:
    if value is None:
        return {"kind": "self", "recorded_by": None, "at": None}
    if not isinstance(value, dict):
        raise Problem("bad_type", field="consent")
    unknown = set(value) - {"kind", "recorded_by", "at", "guardian"}
    if unknown:
        raise Problem("unknown_field", field="consent." + sorted(unknown)[0])
    kind = value.get("kind", "self")
    if kind not in CONSENT_KINDS:
        raise Problem("bad_consent", field="consent.kind")
    recorded_by = value.get("recorded_by")
    if recorded_by is not None:
        recorded_by = clean_text(recorded_by, "consent.recorded_by", limits.DISPLAY_NAME_MAX, multiline=False)
    at = parse_time(value.get("at"), "consent.at")
    guardian = value.get("guardian", False)
    if guardian is None:
        guardian = False
    if not isinstance(guardian, bool):
        raise Problem("bad_type", field="consent.guardian")
    return {"kind": kind, "recorded_by": recorded_by or None,
            "at": at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else None, "guardian": guardian}


# Coordinates in any common spelling: decimal pairs ("45.43, 11.87"), hemisphere letters before
# or after ("43.3188N11.3308E", "N43.3188 E11.3308"), degrees/minutes/seconds with or without
# symbols ("45°25'N", "43 19 06 N"), geo: URIs, plus codes ("8FVC9G8F+6X"), what3words
# ("///filled.count.soap"), map links. A place is a description or a town, never a point someone
# could be found at. Digits are read in any script first (see _ascii_digits).
_DEC = r"(?<!\d)\d{1,3}[.,]\d{2,}"          # a degree with decimals: 43.3188
_HEMI_AFTER = r"(?:\s*°?\s*[NSEW]|°?[nsew])(?![^\W\d_])"  # "43.3188N", "43.3188 N"; never "12.30 e 13"
_HEMI_BEFORE = r"(?<![^\W\d_])(?:[NSEW]\s?|[nsew])"
_DMS = (r"(?<![\d.,])\d{1,3}(?:\s*[°º˚:]\s*|\s+)\d{1,2}(?:[.,]\d+)?(?:(?:\s*['′’:]\s*|\s+)\d{1,2}(?:[.,]\d+)?)?"
        r"\s*(?:[\"″”]|''|['′’])?")
_COORDINATES = (
    re.compile(r"[-+]?\d{1,3}[.,]\d+\s*[,;/ ]\s*[-+]?\d{1,3}[.,]\d+"),
    re.compile(r"\d{1,3}\s*[°º˚]"),
    re.compile(r"\d{1,3}\s*(?:deg|degrees?)\b", re.IGNORECASE),
    re.compile(_DEC + _HEMI_AFTER),
    re.compile(_HEMI_BEFORE + _DEC),
    re.compile(_DMS + r"\s*[NSEW](?![^\W\d_])"),
    re.compile(r"(?<![^\W\d_])[NSEW]\s*" + _DMS),
    re.compile(r"\d{1,3}\s*['′’]\s*\d{1,2}(?:[.,]\d+)?\s*(?:[\"″”]|'')"),  # 19'06"
    re.compile(r"\b(?:lat|lon|lng|latitude|longitude)\b", re.IGNORECASE),
    re.compile(r"\bgeo:", re.IGNORECASE),
    re.compile(r"\b[23456789CFGHJMPQRVWX]{4,8}\+[23456789CFGHJMPQRVWX]{2,3}(?![^\W_])", re.IGNORECASE),
    re.compile(r"///|\bw3w\b|what3words", re.IGNORECASE),
    re.compile(r"(?<![^\s/])[^\W\d_]{2,}\.[^\W\d_]{2,}\.[^\W\d_]{2,}(?![^\s.,;!?)])"),  # filled.count.soap
    re.compile(r"\b\d{1,2}[C-HJ-NP-X]\s?(?:[A-Z]{2}\s?)?\d{5,7}\s?\d{5,7}\b"),  # UTM / MGRS
    re.compile(r"(?:https?://|www\.|maps\.|goo\.gl|osm\.org|openstreetmap|@-?\d)", re.IGNORECASE),
    re.compile(r"\b[\w-]+\.(?:com|org|net|gl|app|co|io|me|it|rs|nl)/\S", re.IGNORECASE),  # bare map links
)
# Arabic and Persian write a decimal separator and a comma of their own.
_SEPARATORS = str.maketrans({"\u066b": ".", "\u066c": ",", "\u060c": ",", "\u061b": ";"})


def _ascii_digits(value: str) -> str:
    """Any script's decimal digits as 0-9, and Arabic separators as . and , ("٤٣٫٣١٨٨" is 43.3188)."""
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char
                   for char in value).translate(_SEPARATORS)


def looks_like_coordinates(value: str) -> bool:
    value = _ascii_digits(unicodedata.normalize("NFKC", value))
    return any(pattern.search(value) for pattern in _COORDINATES)


def clean_place(value) -> str:
    """Free text or a town; refused when it looks like coordinates or a map link."""
    if value is None:
        return ""
    place = clean_text(value, "place", limits.STORY_PLACE_MAX, multiline=False)
    if looks_like_coordinates(place):
        raise Problem("place_coordinates", field="place")
    return place


def clean_about_minor(value) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Problem("bad_type", field="about_minor")
    return value


EVENT_ID_MAX = 2**31 - 1  # events.id is an INTEGER: a larger number cannot name one


def clean_event(value) -> int | None:
    """An event id (a positive whole number) or None; whether the event exists, and belongs to
    the story's community, is checked when the story is stored (unknown_event)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Problem("bad_type", field="event")
    if not 1 <= value <= EVENT_ID_MAX:
        raise Problem("unknown_event", field="event")
    return value


def clean_media(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Problem("bad_type", field="media")
    if len(value) > limits.STORY_MEDIA_MAX:
        raise Problem("too_long", field="media", max=limits.STORY_MEDIA_MAX)
    out = []
    for item in value:
        if not isinstance(item, str) or not _SHA256.match(item.lower()):
            raise Problem("bad_media", field="media")
        if item.lower() not in out:
            out.append(item.lower())
    return tuple(out)


def validate_content(data, *, defaults: dict | None = None) -> StoryContent:
    """Check and normalise a story's author-owned fields; raise Problem on the first fault.

    Server-owned fields in ``data`` are ignored (the contract says so); ``id`` and
    ``created_at`` are handled by the caller; anything else is refused.
    """
    if not isinstance(data, dict):
        raise Problem("bad_type", field="data")
    if not _KNOWN_FIELDS.issuperset(data):
        key = next(key for key in data if key not in _KNOWN_FIELDS)  # the first, as sent
        raise Problem("unknown_field", field=str(key)[:40])
    merged = dict(defaults or {})
    merged.update({k: v for k, v in data.items() if k in _CONTENT_SET})
    for field in REQUIRED_FIELDS:
        if merged.get(field) is None:
            raise Problem("missing_field", field=field)
    media = clean_media(merged.get("media"))
    title = clean_text(merged["title"], "title", limits.STORY_TITLE_MAX, multiline=False)
    body = clean_text(merged["body"], "body", limits.STORY_BODY_MAX, multiline=True)
    # A voice or photo story may have no words at all (people who read and write little).
    if not title and not media:
        raise Problem("empty", field="title")
    if not body and not media:
        raise Problem("empty", field="body")
    language = clean_language(merged["language"])
    community = merged["community"]
    if not isinstance(community, str):
        raise Problem("bad_type", field="community")
    community = community.strip().lower()
    if not _SLUG.match(community):
        raise Problem("unknown_community", field="community")
    visibility = merged["visibility"]
    if not isinstance(visibility, str):
        raise Problem("bad_type", field="visibility")
    if visibility not in VISIBILITIES:
        raise Problem("bad_visibility", field="visibility")
    author_display = merged.get("author_display") or "pseudonym"
    if not isinstance(author_display, str):
        raise Problem("bad_type", field="author_display")
    if author_display not in AUTHOR_DISPLAYS:
        raise Problem("bad_author_display", field="author_display")
    consent = clean_consent(merged.get("consent"))
    about_minor = clean_about_minor(merged.get("about_minor"))
    if about_minor and not consent["guardian"]:
        # A story about or by a minor needs their parent's or guardian's consent too.
        raise Problem("guardian_consent_required", field="consent.guardian")
    return StoryContent(title=title, body=body, language=language, community=community,
                        visibility=visibility, author_display=author_display,
                        consent=consent, media=media, place=clean_place(merged.get("place")),
                        about_minor=about_minor, event=clean_event(merged.get("event")))
