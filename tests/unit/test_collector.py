"""The collector thread (kultialogo.collector): the CPython 3.11 crash it works around, and that
collections still happen with automatic collection off."""
import gc
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from kultialogo import collector

REPRO = Path(__file__).resolve().parents[2] / "bench" / "gc_reentrant_setattr.py"


def run_repro(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPRO), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not collector.NEEDED, reason="the crash is CPython 3.11's")
def test_the_interpreter_crashes_when_a_collection_inside_an_instance_dict_allocation_stores_on_it():
    # What the work-around is for: without it this interpreter corrupts its heap (SIGSEGV).
    done = run_repro()
    assert done.returncode != 0, done.stdout
    assert "no crash" not in done.stdout


def test_with_collections_on_their_own_thread_the_same_program_runs_through():
    done = run_repro("--guarded")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "no crash"


def test_the_thread_collects_cycles_while_automatic_collection_is_off():
    stop = collector.start(poll=0.001, force=True)
    assert stop is not None
    try:
        assert not gc.isenabled()
        assert collector.start(force=True) is None  # one thread per process

        class Node:
            pass

        node = Node()
        node.me = node  # only a collection frees it
        collected = weakref.ref(node)
        del node
        # Allocations pass the youngest generation's threshold; the thread notices and collects.
        waited = 0
        while collected() is not None and waited < 5000:
            _allocations = [[] for _ in range(gc.get_threshold()[0] + 1)]
            stop.wait(0.001)  # let the collector thread run
            waited += 1
        assert collected() is None
    finally:
        stop.set()
        collector._running.join(5)
    assert gc.isenabled()


@pytest.mark.parametrize("counts, due", [
    ((700, 0, 0), None),      # at the threshold: not yet
    ((701, 0, 0), 0),
    ((701, 11, 0), 1),
    ((701, 11, 11), 2),
    ((701, 3, 11), 2),        # the oldest generation due, as the automatic collector picks
    ((5000, 0, 0), 0),
])
def test_the_generation_collected_is_the_one_the_automatic_collector_would_choose(counts, due):
    assert collector.generation_due(counts, (700, 10, 10)) == due


def test_a_threshold_of_zero_means_no_automatic_collection():
    assert collector.generation_due((10_000, 50, 50), (0, 10, 10)) is None


def test_not_started_where_not_needed():
    if collector.NEEDED:
        pytest.skip("this interpreter needs it")
    assert collector.start() is None
    assert gc.isenabled()
