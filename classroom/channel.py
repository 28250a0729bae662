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
        self.interrupted = False

    def close(self):
        self.client.stop_channels()

    def call(self, name, args, kwargs):
        """What the student's ``name(*args, **kwargs)`` returns; ``args`` and ``kwargs`` then hold
        what the call left in the kernel's copies of them (plain.write_back)."""
        payload = plain.dumps([list(args), kwargs])
        code = f"__import__('classroom.kernel_side').kernel_side.serve({name!r}, {payload!r})"
        answer = self._run(code)
        if type(answer) is not dict or not {"result", "arguments"} <= answer.keys():
            raise StudentError("ValueError", "the kernel's answer has no result")
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
            raise StudentError("ValueError", "the kernel's answer has no result")
        return answer["result"]

    def _run(self, code):
        """Run ``code`` in the kernel; the plain data it published, or StudentError."""
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False)
        self.interrupted = False
        published, idle = None, False
        while not idle:
            message = self._next(self.client.get_iopub_msg)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "display_data" and published is None:
                published = content.get("data", {}).get(MIME)
            idle = kind == "status" and content.get("execution_state") == "idle"
        reply = self._reply(msg_id)
        if reply.get("status") != "ok" and self.interrupted:
            raise StudentError(TIMEOUT_ENAME, _("the function ran past its time limit"))
        if reply.get("status") != "ok":
            ename, evalue = reply.get("ename"), reply.get("evalue")
            raise StudentError(
                printable(ename if isinstance(ename, str) else "Error", 100),
                printable(evalue.split("\n")[0] if isinstance(evalue, str) else "", 300),
            )
        if not isinstance(published, str):
            raise StudentError("ValueError", "the function's result did not come back")
        try:
            return plain.loads(published)
        except (TypeError, ValueError) as error:
            raise StudentError(type(error).__name__, printable(str(error), 200)) from None

    def _reply(self, msg_id):
        while True:
            reply = self._next(self.client.get_shell_msg)
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply["content"]

    def _next(self, get):
        """The next message from ``get``; interrupts the kernel once the deadline passes."""
        interrupted_at = None
        while True:
            try:
                return get(timeout=POLL_S)
            except Empty:
                pass
            if not run_sync(self.km.is_alive)():
                raise KernelLost(hung=False)
            now = monotonic()
            if interrupted_at is None and now > self.deadline:
                run_sync(self.km.interrupt_kernel)()
                interrupted_at, self.interrupted = now, True
            elif interrupted_at is not None and now > interrupted_at + INTERRUPT_GRACE_S:
                raise KernelLost(hung=True)
