"""Every number the server enforces, in one place, published at GET /api/v1/limits.

Clients read these instead of repeating them; tests read them too.
"""
STORY_TITLE_MAX = 140         # characters (code points, after NFC)
STORY_BODY_MAX = 20_000       # about eight printed pages
STORY_MEDIA_MAX = 10          # files per story
STORY_PLACE_MAX = 120         # a town or a short description, never coordinates

PUSH_MAX_ITEMS = 100
PUSH_MAX_BYTES = 1024 * 1024  # of the request body, after gzip decoding
PUSH_PER_MINUTE = 120         # push requests per token or session

PULL_DEFAULT_LIMIT = 50
PULL_MAX_LIMIT = 500
# A camp node's push (docs/sync.md, Camp nodes): chunks of up to 500 records, a few MB.
NODE_PUSH_MAX_ITEMS = 500
NODE_PUSH_MAX_BYTES = 8 * 1024 * 1024
# A camp node's export file uploaded on the Camp nodes page (the command line has no limit).
NODE_IMPORT_MAX_BYTES = 512 * 1024 * 1024  # larger files: `kultialogo import FILE` has no limit

USERNAME_MIN = 3
USERNAME_MAX = 40
DISPLAY_NAME_MAX = 80
PASSWORD_MIN = 8
PASSWORD_MAX = 200
SIGNIN_PER_MINUTE = 10        # per address and per account name, across /signin, the token API and /reset
SIGNIN_PER_ACCOUNT_PER_DAY = 100  # per account name: a 6-digit PIN holds for ~10,000 days on average
CODE_TRIES_PER_MINUTE = 10    # join and reset codes tried per address
CODE_TRIES_PER_HOUR = 60
REPORTS_PER_MINUTE = 5        # story reports per person (page and API together)
REPORTS_PER_HOUR = 30
REPORT_NOTE_MAX = 1000        # characters of a report's or a moderation decision's note
# Help requests (help/): a request's text and each message in its thread; one budget per person
# for requests and messages together, pages and pushes alike.
HELP_BODY_MAX = 4000
HELP_MESSAGE_MAX = 4000
HELP_WRITES_PER_MINUTE = 10
HELP_WRITES_PER_HOUR = 60

# Media (photos and voice), uploaded over tus 1.0.
MEDIA_IMAGE_MAX_BYTES = 15 * 1024 * 1024   # a camera original, if a phone skipped resizing
MEDIA_AUDIO_MAX_BYTES = 20 * 1024 * 1024   # about 90 minutes of speech at 32 kbit/s
MEDIA_MAX_BYTES = max(MEDIA_IMAGE_MAX_BYTES, MEDIA_AUDIO_MAX_BYTES)  # Tus-Max-Size
# The largest request body of all: a story form with a photo and a recording. The WSGI server
# refuses anything larger before reading it (waitress's own default was 1 GiB, spooled to disk).
FORM_UPLOAD_MAX_BYTES = MEDIA_IMAGE_MAX_BYTES + MEDIA_AUDIO_MAX_BYTES + 1024 * 1024
# A recording to disguise arrives in one request and is held in memory (the original must
# never reach the disk): 10 minutes at 32 kbit/s is about 2.4 MB; WAV from a desktop is larger.
VOICE_DISGUISE_MAX_BYTES = 8 * 1024 * 1024
VOICE_DISGUISE_RATE_LIMIT_PER_MINUTE = 10
MEDIA_IMAGE_MAX_PIXELS = 50_000_000        # width x height; more is refused (decompression bombs)
MEDIA_IMAGE_STORED_MAX_EDGE = 2560         # longer images are scaled down when re-encoded
MEDIA_CHUNK_BYTES = 256 * 1024             # suggested PATCH size: a cut costs at most this much
MEDIA_UPLOAD_EXPIRY_HOURS = 72             # unfinished uploads are then garbage-collected
MEDIA_OPEN_UPLOADS_MAX = 50                # unfinished uploads per person at once
MEDIA_UNREFERENCED_DAYS = 30               # a stored file no story uses is then deleted
# The app's recorder stops here (10 min at 24 kbit/s is about 1.8 MB); the server bounds audio
# by bytes only (MEDIA_AUDIO_MAX_BYTES), since it does not decode it.
MEDIA_AUDIO_RECORD_MAX_SECONDS = 600
MEDIA_IMAGE_SEND_MAX_EDGE = 1600           # the app resizes photos to this before they leave the phone
MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp",
               "audio/webm", "audio/ogg", "audio/mp4", "audio/mpeg", "audio/wav")


def published(push_per_minute: int = PUSH_PER_MINUTE) -> dict:
    return {
        "push": {"max_items": PUSH_MAX_ITEMS, "max_bytes": PUSH_MAX_BYTES, "per_minute": push_per_minute},
        "story": {"title_max": STORY_TITLE_MAX, "body_max": STORY_BODY_MAX, "media_max": STORY_MEDIA_MAX,
                  "place_max": STORY_PLACE_MAX},
        "pull": {"default_limit": PULL_DEFAULT_LIMIT, "max_limit": PULL_MAX_LIMIT},
        "account": {"username_min": USERNAME_MIN, "username_max": USERNAME_MAX,
                    "password_min": PASSWORD_MIN, "password_max": PASSWORD_MAX,
                    "signin_per_minute": SIGNIN_PER_MINUTE},
        "report": {"per_minute": REPORTS_PER_MINUTE, "per_hour": REPORTS_PER_HOUR,
                   "note_max": REPORT_NOTE_MAX},
        # A voice reply's (or a help request's) recording: the phone's recorder stops at the length.
        "reply": {"body_max": REPLY_BODY_MAX, "audio_max_bytes": REPLY_AUDIO_MAX_BYTES,
                  "record_max_seconds": REPLY_AUDIO_RECORD_MAX_SECONDS},
        "help": {"body_max": HELP_BODY_MAX, "message_max": HELP_MESSAGE_MAX,
                 "per_minute": HELP_WRITES_PER_MINUTE, "per_hour": HELP_WRITES_PER_HOUR},
        "media": {"image_max_bytes": MEDIA_IMAGE_MAX_BYTES, "audio_max_bytes": MEDIA_AUDIO_MAX_BYTES,
                  "max_bytes": MEDIA_MAX_BYTES, "image_max_pixels": MEDIA_IMAGE_MAX_PIXELS,
                  "image_stored_max_edge": MEDIA_IMAGE_STORED_MAX_EDGE,
                  "chunk_bytes": MEDIA_CHUNK_BYTES, "upload_expiry_hours": MEDIA_UPLOAD_EXPIRY_HOURS,
                  "open_uploads_max": MEDIA_OPEN_UPLOADS_MAX, "unreferenced_days": MEDIA_UNREFERENCED_DAYS,
                  "record_max_seconds": MEDIA_AUDIO_RECORD_MAX_SECONDS,
                  "image_send_max_edge": MEDIA_IMAGE_SEND_MAX_EDGE,
                  "types": list(MEDIA_TYPES)},
    }

REPLY_BODY_MAX = 2_000        # characters of a written reply: a short answer, not a second story
# A voice reply, or a help request's (or help message's) recording: short, so a few minutes at
# most (the app's recorder stops at REPLY_AUDIO_RECORD_MAX_SECONDS; 5 min at 24 kbit/s is about
# 0.9 MB, a phone's own recorder at 128 kbit/s about 4.8 MB). The server bounds bytes only.
REPLY_AUDIO_MAX_BYTES = 5 * 1024 * 1024
REPLY_AUDIO_RECORD_MAX_SECONDS = 300
# Web Push (webpush/)
WEBPUSH_SUBSCRIPTIONS_MAX = 10    # browsers one account may have subscribed at once
WEBPUSH_ENDPOINT_MAX = 1024       # characters of a push service URL
WEBPUSH_BODY_MAX = 4096           # bytes of a subscribe or unsubscribe request
FOLLOWS_MAX = 500                 # communities and stories one account follows
ACTIVITY_PAGE_SIZE = 50           # items on /activity
