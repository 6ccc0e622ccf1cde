"""The CPython 3.11 crash behind the load test's lost workers (#18), in a dozen lines.

    python bench/gc_reentrant_setattr.py            # CPython 3.11: SIGSEGV (exit -11 / 139)
    python bench/gc_reentrant_setattr.py --guarded  # with kultialogo.collector: "no crash"

An attribute store whose name the class's shared keys have no room for makes the object's
instance dict; when allocating that dict runs the garbage collector, and the collection frees
an object whose weakref callback sets another such attribute on the same object, the callback
makes a second dict over the same array of values and frees it when it grows: the first store
then writes through freed memory (an ASan build of 3.11 reports heap-use-after-free in
dictresize, freed by a dictresize under handle_callback / delete_garbage). SQLAlchemy's
InstanceState._cleanup is such a callback; in the server the heap corruption surfaced later,
in pymalloc, mostly under the JSON encoder of a pull. CPython 3.12 and 3.13 do not crash.
"""
import gc
import sys
import weakref


class Node:
    pass


class State:
    def __init__(self, obj):
        self.ref = weakref.ref(obj, self._cleanup)  # as InstanceState.obj

    def _cleanup(self, ref):
        self.gone = True  # as InstanceState._cleanup's session_id: a name not in the shared keys


def main(rounds: int = 1000) -> None:
    # Fill State's shared keys (30 names at most) so that a new name makes a real dict. The
    # filler's node stays alive: its callback must not put "gone" among them.
    filler_node = Node()
    filler = State(filler_node)
    for i in range(40):
        setattr(filler, f"a{i}", i)
    thresholds = gc.get_threshold()
    try:
        for n in range(rounds):
            gc.set_threshold(1_000_000)  # no collection while the garbage is made: it stays young
            drained = [{} for _ in range(100)]  # empty the dict free list: the next dict is allocated
            node = Node()
            node.me = node  # a cycle: only the collector frees it
            state = State(node)
            del node
            gc.set_threshold(1)  # the next allocation collects...
            state.fresh = n  # ...and it is the dict this store makes: node's callback stores on state
            del drained
    finally:
        gc.set_threshold(*thresholds)
    del filler_node


if __name__ == "__main__":
    if "--guarded" in sys.argv:
        from kultialogo import collector
        collector.start(force=True)
    main()
    print("no crash")
