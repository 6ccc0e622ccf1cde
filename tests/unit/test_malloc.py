"""`kultialogo run` keeps glibc's malloc from holding freed memory (bench/memory_soak.py shows why)."""
import platform

import pytest

from kultialogo.cli import tune_malloc


def test_malloc_is_tuned_unless_turned_off_or_the_operator_chose(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert tune_malloc(0, 0) is False  # KULTIALOGO_MALLOC_ARENAS=0: glibc's defaults
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert tune_malloc(2, 0) is False  # the operator's own setting wins
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt() is glibc's")
    assert tune_malloc(2, 0) is True
