"""What the grader runs inside a student's sandboxed kernel (a copy lies in the workspace).

``setup`` caps the kernel's memory and makes its streams send each MiB as it comes; ``serve``
answers the trusted judge (classroom.judge): it calls one of the student's functions with
arguments sent as plain data (classroom.plain) and publishes the result, and the arguments as the
call left them, as plain data. Nothing here is trusted by the judge: a student can replace all of
it, and can only change what their own functions seem to return.
"""

import sys

from IPython import get_ipython
from IPython.display import publish_display_data

from classroom import plain

MIME = "application/vnd.classroom.plain+json"


def setup(memory_gib):
    """Cap the address space at its size now plus ``memory_gib`` GiB (on Linux), so a runaway
    solution meets MemoryError in its own cell; then flush the streams every MiB."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * resource.getpagesize()
        cap = size + int(memory_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, OSError, ValueError):
        pass  # no resource module or /proc: no cap
    _flush_every_mib(type(sys.stdout))


def _flush_every_mib(stream_class):
    """ipykernel sends what a cell printed in the last 0.2 s as one message, so a print loop
    makes messages of hundreds of MB; flush once a MiB is waiting instead. (Not by wrapping
    write: IPython puts each cell's own write back on the stream when the cell ends.)"""
    schedule = stream_class._schedule_flush

    def schedule_or_flush(self):
        if sum(buffer.tell() for buffer in list(self._buffers.values())) < 2**20:
            return schedule(self)
        return self.flush()

    stream_class._schedule_flush = schedule_or_flush


def serve(name, payload):
    """Call the student's ``name`` with ``payload`` (plain ``[args, kwargs]``); publish
    ``{"result": …, "arguments": …}`` as plain data, or let the function's error stand."""
    args, kwargs = plain.loads(payload)
    function = get_ipython().user_ns[name]
    result = function(*args, **kwargs)
    publish_display_data({MIME: plain.dumps({"result": result, "arguments": [args, kwargs]})})


def value(name):
    """Publish the student's global ``name`` as plain data."""
    publish_display_data({MIME: plain.dumps({"result": get_ipython().user_ns[name]})})
