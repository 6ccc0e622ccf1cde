"""Serving the app shell's files from pwa/ (and, in the wheel, kultialogo/pwa)."""
from pathlib import Path

from flask import send_from_directory

PACKAGE_DIR = Path(__file__).resolve().parent


def shell_dir() -> Path:
    installed = PACKAGE_DIR / "pwa"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "pwa"


def init_app(app) -> None:
    root = shell_dir()

    @app.get("/static/<path:filename>")
    def static(filename):
        response = send_from_directory(root, filename, max_age=3600)
        return response
