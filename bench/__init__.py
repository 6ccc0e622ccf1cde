"""Benchmarks (run as scripts: ``python bench/ingest.py``); ``_server`` is shared with the tests."""
