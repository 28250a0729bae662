"""Run a grading notebook in one kernel: nbclient with the grader's time limits and output cap.

Errors do not stop the run, so one broken exercise fails only its own check. Cells that hold
student code get their own time limit and are interrupted when they pass it; a kernel that ignores
the interrupt is given up (the caller restarts one). The whole notebook has a time limit too, after
which the cells left are not run. Whatever a submission prints, the grader takes no message over
``MESSAGE_LIMIT_BYTES``, keeps at most ``OUTPUT_LIMIT_BYTES`` of each cell's output and only the
status and first words of each cell's reply, so its memory stays bounded.
"""

import math
import subprocess
from dataclasses import dataclass, field
from queue import Empty
from time import monotonic

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output

from .exercises import holds_student_code
from .report import printable
from .sandbox import kernel_manager
from .words import _

TIMEOUT_ENAME = "TimeoutError"
SKIP_TAG = "skip-execution"  # nbclient's tag for cells it must not run
# Characters of output kept per cell: far more than any lesson cell prints.
OUTPUT_LIMIT_BYTES = 2 * 2**20
# The largest output message taken from the kernel. ipykernel sends what a cell printed in the last
# 0.2 s as one message, so a flood could otherwise arrive as hundreds of MB at once.
MESSAGE_LIMIT_BYTES = 32 * 2**20
# Seconds an interrupted cell has to stop before its kernel counts as hung.
INTERRUPT_GRACE_S = 5


class OutOfTime(Exception):
    """The notebook's time limit passed before the next cell could start."""


class Unresponsive(Exception):
    """A cell ran past its time limit and its kernel did not answer the interrupt."""


def _characters(content):
    """How many characters of text a message's content holds, at any depth (no recursion)."""
    total, pending = 0, [content]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return total


def _reply_summary(content):
    """What the grader keeps of an execute_reply: its status and the first words of any error."""
    kept = {"status": content.get("status")}
    for key, limit in (("ename", 100), ("evalue", 300)):
        if isinstance(content.get(key), str):
            kept[key] = printable(content[key].strip().split("\n")[0], limit)
    return kept


class CappedIopub:
    """A kernel client mixin: the output channel refuses messages over MESSAGE_LIMIT_BYTES.

    ZeroMQ drops such a message, and the connection it came on (which comes back at once), before
    the grader reads it; the cell loses that output and, perhaps, its end-of-output notice, which
    nbclient then waits ``iopub_timeout`` seconds for.
    """

    def connect_iopub(self, identity=None):
        socket = super().connect_iopub(identity)
        url = self._make_url("iopub")
        socket.disconnect(url)  # the limit holds for connections made after it is set
        socket.setsockopt(zmq.MAXMSGSIZE, MESSAGE_LIMIT_BYTES)
        socket.connect(url)
        return socket


class CappedClient(CappedIopub, AsyncKernelClient):
    """nbclient's kernel client, with the output channel capped (CappedIopub)."""


class GradingClient(NotebookClient):
    """An nbclient NotebookClient that records each cell's reply and keeps to two time limits.

    ``deadline`` (a ``time.monotonic()`` value) bounds the whole run; ``cell_timeout`` (seconds)
    bounds each cell that holds student code. A cell that passes its limit is interrupted and counts
    as a TimeoutError. ``current_index`` is the cell running (or last run), to blame a dead kernel;
    ``cut`` lists the cells whose output passed OUTPUT_LIMIT_BYTES.
    Its kernel client refuses messages over MESSAGE_LIMIT_BYTES (CappedClient).
    """

    def __init__(self, nb, deadline, cell_timeout, sandbox=None, **kwargs):
        super().__init__(
            nb,
            km=kernel_manager(sandbox),
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={
                "ename": TIMEOUT_ENAME,
                "evalue": _("the cell ran past its time limit"),
                "traceback": [],
            },
            on_cell_executed=self._record_reply,
            **kwargs,
        )
        self.deadline = deadline
        self.cell_timeout = cell_timeout
        self.replies = {}  # cell index → the reply's status and error (_reply_summary)
        self.current_index = None
        self.output_characters = {}  # cell index → characters of output received
        self.cut = []
        self.km.client_factory = CappedClient

    def _record_reply(self, cell, cell_index, execute_reply):
        self.replies[cell_index] = _reply_summary(execute_reply["content"])

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        remaining = self.deadline - monotonic()
        if remaining <= 0:
            raise OutOfTime
        self.current_index = cell_index
        limit = min(remaining, self.cell_timeout) if holds_student_code(cell) else remaining
        self.timeout = max(1, math.ceil(limit))
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    async def _async_handle_timeout(self, timeout, cell=None):
        """Interrupt the cell; if the kernel does not answer within INTERRUPT_GRACE_S, give up."""
        await ensure_async(self.km.interrupt_kernel())
        try:  # the interrupted cell's reply, or any sign of life on the shell channel
            await ensure_async(self.kc.shell_channel.get_msg(timeout=INTERRUPT_GRACE_S))
        except Empty:
            raise Unresponsive from None
        return {"content": {**self.error_on_timeout, "status": "error"}}

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output, until the cell's output passes OUTPUT_LIMIT_BYTES; then one note."""
        before = self.output_characters.get(cell_index, 0)
        after = before + _characters(msg["content"])
        self.output_characters[cell_index] = after
        if after <= OUTPUT_LIMIT_BYTES:
            return super().output(outs, msg, display_id, cell_index)
        if before <= OUTPUT_LIMIT_BYTES:
            self.cut.append(cell_index)
            note = _("[output cut: the cell printed more than {limit} MiB]").format(
                limit=OUTPUT_LIMIT_BYTES // 2**20
            )
            outs.append(new_output("stream", name="stderr", text=note + "\n"))
        return None


@dataclass
class Run:
    """What one kernel's run of a notebook left: replies by cell index, and how it ended."""

    replies: dict
    stopped: str  # "" when every cell ran
    died_at: int = None  # the cell index the kernel died (or hung) in, if it did
    hung: bool = False  # the kernel did not answer an interrupt (it was shut down)
    cut: list = field(default_factory=list)  # cells whose output was cut
    then: object = None  # what ``then`` returned, when every cell ran


def run(nb, cwd, timeout, cell_timeout, env=None, sandbox=None, then=None):
    """Execute ``nb`` in place in folder ``cwd`` with environment ``env``; returns a Run.

    The kernel runs in ``sandbox`` (classroom.sandbox.Sandbox) unless it is None. Cells tagged
    ``skip-execution`` are skipped. Once every cell ran, ``then(km, replies)`` may still use the
    kernel (its jupyter_client manager); the kernel is shut down at the end in any case.
    """
    client = GradingClient(
        nb,
        deadline=monotonic() + timeout,
        cell_timeout=cell_timeout,
        sandbox=sandbox,
        skip_cells_with_tag=SKIP_TAG,
        resources={"metadata": {"path": str(cwd)}},
        shutdown_kernel="immediate",
    )
    try:
        return _run(client, timeout, env, then)
    finally:
        _shut_down(client)


def _run(client, timeout, env, then):
    try:
        # Nothing the kernel writes to its own stdout or stderr reaches the grader's (a class run
        # reads a report there): what it prints goes through its messages, capped above.
        streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        client.execute(**streams, **({"env": env} if env is not None else {}))
    except OutOfTime:
        stopped = _("the notebook time limit of {timeout:g} s passed").format(timeout=timeout)
        return Run(client.replies, stopped, cut=client.cut)
    except DeadKernelError:
        return Run(client.replies, _("the kernel died"), client.current_index, cut=client.cut)
    except Unresponsive:
        stopped = _("the kernel did not answer an interrupt")
        return Run(client.replies, stopped, client.current_index, hung=True, cut=client.cut)
    after = then(client.km, client.replies) if then is not None else None
    return Run(client.replies, "", cut=client.cut, then=after)


def _shut_down(client):
    """Stop the kernel (the client does not own its manager, so it leaves it running)."""
    km = client.km
    if km is None or not km.has_kernel:
        return
    if client.kc is not None:
        client.kc.stop_channels()
    run_sync(km.shutdown_kernel)(now=True)
