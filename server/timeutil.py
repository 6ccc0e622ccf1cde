from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def isoformat(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None
