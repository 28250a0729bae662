"""The judge's narrow channel into a student's kernel: call a function, read a value.

Each call is one execute request running classroom.kernel_side in the student's (sandboxed)
kernel; arguments go in and the result comes back as plain data (classroom.plain), read from one
display message no larger than the grader takes from any kernel (classroom.execute). Output the
call prints is read and dropped. A call that runs past its time is interrupted; a kernel that dies
or ignores the interrupt ends the channel (KernelLost), and the grader starts a fresh one.
"""

from queue import Empty
from time import monotonic

from jupyter_client.blocking import BlockingKernelClient
from jupyter_core.utils import run_sync

from . import plain
from .execute import INTERRUPT_GRACE_S, TIMEOUT_ENAME, CappedIopub
from .kernel_side import MIME
from .report import printable
from .words import _

POLL_S = 0.5  # how often a waiting call checks that the kernel still lives
SETTLE_S = 2  # how long output may come after the reply
CONNECT_S = 30  # how long the output channel may take to hear the kernel


class StudentError(Exception):
    """The student's function raised, or gave what cannot be read as plain data."""

    def __init__(self, ename, evalue=""):
        super().__init__(f"{ename}: {evalue}" if evalue else ename)
        self.ename, self.evalue = ename, evalue


class KernelLost(Exception):
    """The kernel died, or ignored an interrupt (``hung``), during a call."""

    def __init__(self, hung):
        super().__init__("the kernel ignored an interrupt" if hung else "the kernel died")
        self.hung = hung


class CappedBlockingClient(CappedIopub, BlockingKernelClient):
    """A blocking kernel client whose output channel refuses oversized messages."""


class StudentKernel:
    """Calls into the kernel that ``km`` (a jupyter_client AsyncKernelManager) runs.

    ``deadline`` (a ``time.monotonic()`` value, set by the judge for each check) bounds the calls.
    """

    def __init__(self, km):
        self.km = km
        self.client = CappedBlockingClient()
        self.client.load_connection_info(km.get_connection_info())
        self.client.start_channels(hb=False, stdin=False)
        self.deadline = monotonic() + 60
        self._hear_the_kernel()
        self.interrupted_at = None  # when the running call was interrupted

    def _hear_the_kernel(self):
        """Wait until the output channel hears the kernel: a new subscription takes a moment to
        reach it, and what the kernel publishes before that (a call's result) would be lost."""
        give_up = monotonic() + CONNECT_S
        while monotonic() < give_up:
            msg_id, listen_until = self.client.kernel_info(), monotonic() + POLL_S
            while monotonic() < listen_until:
                try:
                    message = self.client.get_iopub_msg(timeout=POLL_S / 5)
                except Empty:
                    continue
                if message.get("parent_header", {}).get("msg_id") == msg_id:
                    return
        raise KernelLost(hung=True)

    def close(self):
        self.client.stop_channels()

    def call(self, name, args, kwargs):
        """What the student's ``name(*args, **kwargs)`` returns; ``args`` and ``kwargs`` then hold
        what the call left in the kernel's copies of them (plain.write_back)."""
        payload = plain.dumps([list(args), kwargs])
        code = f"__import__('classroom.kernel_side').kernel_side.serve({name!r}, {payload!r})"
        answer = self._run(code)
        if type(answer) is not dict or not {"result", "arguments"} <= answer.keys():
            raise StudentError("ValueError", _("the function's result did not come back"))
        try:
            changed_args, changed_kwargs = answer["arguments"]
            plain.write_back(list(args), changed_args)
            plain.write_back(kwargs, changed_kwargs)
        except (TypeError, ValueError, KeyError) as error:
            raise StudentError(type(error).__name__, printable(str(error), 200)) from None
        return answer["result"]

    def value(self, name):
        """The student's global ``name``, as plain data."""
        answer = self._run(f"__import__('classroom.kernel_side').kernel_side.value({name!r})")
        if type(answer) is not dict or "result" not in answer:
            raise StudentError("ValueError", _("the function's result did not come back"))
        return answer["result"]

    def _run(self, code):
        """Run ``code`` in the kernel; the plain data it published, or StudentError.

        Reads output until the kernel is idle again, or for SETTLE_S after its reply (an output
        message over the size limit is dropped, perhaps with the idle notice after it).
        """
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False)
        self.interrupted_at = None
        published, reply, idle, settle_by = None, None, False, None
        while not idle and (settle_by is None or monotonic() < settle_by):
            if reply is None:
                reply = self._reply(msg_id, wait=False)
                settle_by = None if reply is None else monotonic() + SETTLE_S
            message = self._next(self.client.get_iopub_msg)
            if message is None or message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "display_data" and published is None:
                published = content.get("data", {}).get(MIME)
            idle = kind == "status" and content.get("execution_state") == "idle"
        return self._answer(published, reply or self._reply(msg_id, wait=True))

    def _answer(self, published, reply):
        """The call's plain data from what the kernel published and its reply."""
        if reply.get("status") != "ok" and self.interrupted_at is not None:
            raise StudentError(TIMEOUT_ENAME, _("the function ran past its time limit"))
        if reply.get("status") != "ok":
            ename, evalue = reply.get("ename"), reply.get("evalue")
            raise StudentError(
                printable(ename if isinstance(ename, str) else "Error", 100),
                printable(evalue.split("\n")[0] if isinstance(evalue, str) else "", 300),
            )
        if not isinstance(published, str):
            raise StudentError("ValueError", _("the function's result did not come back"))
        try:
            return plain.loads(published)
        except (TypeError, ValueError) as error:
            raise StudentError(type(error).__name__, printable(str(error), 200)) from None

    def _reply(self, msg_id, wait):
        """The content of the reply to ``msg_id``; without ``wait``, None if it has not come."""
        while True:
            reply = self._next(self.client.get_shell_msg, timeout=POLL_S if wait else 0)
            if reply is None and not wait:
                return None
            if reply is not None and reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply["content"]

    def _next(self, get, timeout=POLL_S):
        """The next message from ``get``, or None if none came within ``timeout`` seconds.

        While waiting, interrupts the kernel once the deadline passes; raises KernelLost when it
        died, or still runs INTERRUPT_GRACE_S after the interrupt.
        """
        try:
            return get(timeout=timeout)
        except Empty:
            pass
        if not run_sync(self.km.is_alive)():
            raise KernelLost(hung=False)
        now = monotonic()
        if self.interrupted_at is None and now > self.deadline:
            run_sync(self.km.interrupt_kernel)()
            self.interrupted_at = now
        elif self.interrupted_at is not None and now > self.interrupted_at + INTERRUPT_GRACE_S:
            raise KernelLost(hung=True)
        return None
