"""Every number the server enforces, in one place, published at GET /api/v1/limits.

Clients read these instead of repeating them; tests read them too.
"""
STORY_TITLE_MAX = 140         # characters (code points, after NFC)
STORY_BODY_MAX = 20_000       # about eight printed pages
STORY_MEDIA_MAX = 10          # files per story

PUSH_MAX_ITEMS = 100
PUSH_MAX_BYTES = 1024 * 1024  # of the request body, after gzip decoding
PUSH_PER_MINUTE = 120         # push requests per token or session

PULL_DEFAULT_LIMIT = 50
PULL_MAX_LIMIT = 500

USERNAME_MIN = 3
USERNAME_MAX = 40
DISPLAY_NAME_MAX = 80
PASSWORD_MIN = 8
PASSWORD_MAX = 200
SIGNIN_PER_MINUTE = 10        # per address and per account name


def published(push_per_minute: int = PUSH_PER_MINUTE) -> dict:
    return {
        "push": {"max_items": PUSH_MAX_ITEMS, "max_bytes": PUSH_MAX_BYTES, "per_minute": push_per_minute},
        "story": {"title_max": STORY_TITLE_MAX, "body_max": STORY_BODY_MAX, "media_max": STORY_MEDIA_MAX},
        "pull": {"default_limit": PULL_DEFAULT_LIMIT, "max_limit": PULL_MAX_LIMIT},
        "account": {"username_min": USERNAME_MIN, "username_max": USERNAME_MAX,
                    "password_min": PASSWORD_MIN, "password_max": PASSWORD_MAX,
                    "signin_per_minute": SIGNIN_PER_MINUTE},
    }
