"""The server's VAPID key pair: generated on first need, kept in DATA_DIR/webpush/vapid.pem (0600)."""
import base64
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid

_lock = threading.Lock()  # two first requests must not write two different keys


def key_path() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "webpush" / "vapid.pem"


def private_key() -> Vapid:
    """The app's VAPID key, made and stored now if there is none yet."""
    path = key_path()
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            # O_EXCL + 0600: created readable by the app's user only, never overwritten
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    return Vapid.from_file(str(path))


def public_key() -> str:
    """The public key as browsers take it (applicationServerKey): the uncompressed P-256
    point, base64url without padding."""
    raw = private_key().public_key.public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
