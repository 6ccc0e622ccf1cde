"""The garbage collector on a thread of its own, on CPython 3.11 (a work-around for a crash).

CPython 3.11 corrupts its heap when an automatic collection runs inside the allocation of an
object's instance dict (an attribute store with a name the class's shared keys have no room
for, or a first ``obj.__dict__``) and a weakref callback or ``__del__`` run by that collection
sets an attribute on the same object: both make a dict over the object's one array of values,
and the array is freed twice. SQLAlchemy's ``InstanceState._cleanup`` is such a callback (it sets
``session_id`` and ``_strong_obj`` on the state of a loaded object that died in a cycle), so
under load a server process crashed with SIGSEGV in pymalloc, later and elsewhere (the JSON
encoder of a pull, mostly). 3.12 builds instance dicts differently and does not crash.
bench/gc_reentrant_setattr.py reproduces it in a dozen lines.

So on 3.11 a long-running process turns automatic collection off and lets this thread collect
whenever the allocation counts pass the thresholds, as the automatic collector would: a
collection then always starts at a statement boundary of this thread, never in the middle of
another thread's allocation (a thread only gives up the interpreter between bytecodes or in a
blocking call). Cyclic garbage lives up to POLL_SECONDS longer; nothing else changes.

Why every 50 ms and not more often: each time the thread wakes it takes the interpreter from
a thread serving a request and gives it back. At every 5 ms, that cost a push of 100 stories
0.5 to 1 ms of CPU (6 to 8%), more than the collections themselves. At 50 ms the collections
are fewer and larger, and cost less in all. Garbage in cycles waits at most 50 ms. Garbage
that is not in a cycle is freed at once, as always.
"""
import gc
import sys
import threading

# A collection started inside an allocation is what crashes; 3.12 and later are not affected.
NEEDED = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)
POLL_SECONDS = 0.05

_running: threading.Thread | None = None


def generation_due(counts: tuple[int, int, int], thresholds: tuple[int, int, int]) -> int | None:
    """The generation the automatic collector would collect now (the oldest whose count passed
    its threshold), or None: none is due, or automatic collection is off (threshold 0)."""
    if thresholds[0] == 0 or counts[0] <= thresholds[0]:
        return None
    for generation in (2, 1):
        if counts[generation] > thresholds[generation]:
            return generation
    return 0


def _collect_when_due(stop: threading.Event, poll: float) -> None:
    while not stop.wait(poll):
        generation = generation_due(gc.get_count(), gc.get_threshold())
        if generation is not None:
            gc.collect(generation)


def start(poll: float = POLL_SECONDS, *, force: bool = False) -> threading.Event | None:
    """In a process that serves (call after forking: a thread does not survive fork), move
    automatic collection to a daemon thread; the event returned stops it and turns automatic
    collection back on when set. None where not needed (not CPython 3.11, unless ``force``),
    when automatic collection is already off, or when already started."""
    global _running
    if not (NEEDED or force) or not gc.isenabled() or (_running is not None and _running.is_alive()):
        return None
    stop = threading.Event()
    thread = threading.Thread(target=_run, args=(stop, poll), name="kultialogo-gc", daemon=True)
    gc.disable()
    _running = thread
    thread.start()
    return stop


def _run(stop: threading.Event, poll: float) -> None:
    try:
        _collect_when_due(stop, poll)
    finally:
        gc.enable()
