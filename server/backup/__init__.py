"""Backups of the database and the media store, and restoring them (``kultialogo backup``/``restore``)."""
