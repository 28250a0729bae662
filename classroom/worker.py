"""Long-lived grading workers: a class graded by ``--jobs`` processes that each import the grader
once and then grade many submissions, one at a time.

A worker (``python -m classroom.worker``) reads requests on its stdin, one JSON line each::

    {"submission": PATH, "instructor": PATH, "options": [grade options, e.g. "--fast"]}

grades each as ``python -m classroom grade PATH --instructor PATH OPTIONS --json`` would
(classroom.grade.grade: a fresh workspace, a fresh sandboxed kernel and a fresh judge namespace
every time) and answers on its stdout, one JSON line each: ``{"report": the --json report}``, or
``{"error": "error: …"}`` where that command would have printed an error (a submission that is
no file, say). A worker run by root forks those kernels from a server it forks from itself as it
starts, before it reads a request (classroom.forkserver): the two share one import of torch.
Its stdout carries the answers only: anything else printed there goes to its stderr. The
student's code runs in its own sandboxed kernel only; the worker runs the instructor's code, and
reads the kernel's results as plain data (classroom.plain), so what one
submission does cannot reach the grading of the next. Before each answer the worker closes the
figures the instructor's lesson cells drew and collects its garbage, so its memory does not grow
from one submission to the next.

The batch's side (``grade_with_workers``) keeps a submission's failures to its own row, as one
process per submission did: a worker that dies, gives an unreadable answer or outlives the time
limit is killed, the submission gets a "not run" report saying why, and a fresh worker goes on.
"""

import gc
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

from . import forkserver
from .sandbox import SandboxUnavailable
from .words import _

# Bytes of a worker's stderr kept to say why it died: about what one error's traceback ends with.
STDERR_TAIL_BYTES = 4096
# The longest answer line taken from a worker: far more than any report (its messages are short).
MAX_ANSWER_BYTES = 64 * 2**20
# Seconds a worker has to end by itself once told there is nothing more to grade, or once its
# answers ended; and that the end of its stderr may take to arrive after it died.
CLOSE_GRACE_S = 5


class WorkerFailed(Exception):
    """A worker gave no report for a submission; ``reason`` says why, in the grader's words."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class Worker:
    """One worker process, seen from the batch: send it a request, wait for its answer.

    Two threads read its stdout (the answers, line by line) and the end of its stderr (kept to
    say why it died), so neither pipe fills while the batch waits. Its temporary files (the
    submissions' workspaces) go into a folder of its own, ``folder``, removed when it ends: a
    worker that is killed cannot remove the workspace it was grading in.
    """

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="classroom-worker-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "classroom.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "TMPDIR": self.folder},
        )
        self.answers = queue.Queue()
        self.stderr_tail = bytearray()
        self.readers = [
            threading.Thread(target=_read_lines, args=(self.process.stdout, self.answers)),
            threading.Thread(target=_keep_tail, args=(self.process.stderr, self.stderr_tail)),
        ]
        for reader in self.readers:
            reader.daemon = True  # a reader blocked on a worker that will not end stops nothing
            reader.start()

    def grade(self, request, limit):
        """The report the worker answers ``request`` with (a dict, as ``grade --json`` prints).

        Raises WorkerFailed when it answers an error, or gives no readable answer within
        ``limit`` seconds (then it is killed: this worker is done).
        """
        del self.stderr_tail[:]  # what an earlier grading printed says nothing about this one
        try:
            self.process.stdin.write(json.dumps(request).encode("ascii") + b"\n")
            self.process.stdin.flush()
        except OSError:  # it is gone already: its end of output says so below
            pass
        try:
            line = self.answers.get(timeout=limit)
        except queue.Empty:
            self.kill()
            raise WorkerFailed(
                _("the grading process ran past {timeout:g} s and was stopped").format(
                    timeout=limit
                )
            ) from None
        if not line:
            raise WorkerFailed(self._death())
        answer = parse_answer(line)
        if isinstance(answer, str):
            self.kill()
            raise WorkerFailed(answer)
        if "error" in answer:
            raise WorkerFailed(
                _("the grading process failed: {error}").format(error=answer["error"])
            )
        return answer["report"]

    def _death(self):
        """Why the worker ended without an answer: the signal that ended it, else the end of
        its stderr (a traceback, say), else its exit status."""
        try:
            status = self.process.wait(timeout=CLOSE_GRACE_S)
        except subprocess.TimeoutExpired:  # its answers ended, yet it runs on: end it
            self.kill()
            status = self.process.returncode
        self.readers[1].join(timeout=CLOSE_GRACE_S)
        tail = self.stderr_tail.decode("utf-8", "replace").strip()[-300:]
        if status < 0:  # killed (by the kernel's OOM killer, say): it printed nothing about it
            error = _("it was ended by signal {signal}").format(signal=_signal_name(-status))
        else:
            error = tail or _("it ended with exit status {status}").format(status=status)
        return _("the grading process failed: {error}").format(error=error)

    def kill(self):
        """Stop the worker now (its sandboxed kernel dies with it: bwrap --die-with-parent) and
        remove its folder."""
        self.process.kill()
        self.process.wait()
        self._remove_folder()

    def close(self):
        """Tell the worker there is nothing more to grade and let it end; kill it if it lingers.
        Its folder is removed either way."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=CLOSE_GRACE_S)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self._remove_folder()

    def _remove_folder(self):
        # Errors ignored: a kernel dying with its worker may still remove or write a file there,
        # and what is left is in the system's temporary folder anyway.
        shutil.rmtree(self.folder, ignore_errors=True)


def _signal_name(number):
    """``SIGKILL`` for 9; the number itself for a signal Python does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def parse_answer(line):
    """The answer dict in one line (bytes) from a worker, or a reason (str) why it is none.

    An answer is ``{"report": {... "exercises": [...] ...}}`` or ``{"error": str}``.
    """
    try:
        answer = json.loads(line.decode("utf-8")) if line.endswith(b"\n") else None
    except ValueError:  # invalid bytes or no JSON (UnicodeDecodeError is a ValueError)
        answer = None
    report = answer.get("report") if isinstance(answer, dict) else None
    if isinstance(report, dict) and isinstance(report.get("exercises"), list):
        return answer
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return answer
    return _("the grading process failed: {error}").format(
        error=_("its answer was no readable report")
    )


def _read_lines(stream, lines):
    """Put each line of ``stream`` into the queue ``lines``, then b"" at its end."""
    with stream:
        for line in iter(lambda: stream.readline(MAX_ANSWER_BYTES), b""):
            lines.put(line)
    lines.put(b"")


def _keep_tail(stream, tail):
    """Read ``stream`` to its end, keeping its last STDERR_TAIL_BYTES in the bytearray ``tail``."""
    with stream:
        for chunk in iter(lambda: stream.read1(STDERR_TAIL_BYTES), b""):
            tail += chunk
            del tail[:-STDERR_TAIL_BYTES]


def grade_with_workers(submissions, instructor, jobs, options, limit, not_graded):
    """``{student: report}`` for ``[(student, path)]``, graded by ``jobs`` workers.

    ``options``: ``classroom grade`` options; ``limit``: seconds a worker may take for one
    submission; ``not_graded(path, reason)``: the report of a submission given none.
    """
    waiting = queue.SimpleQueue()
    for student, path in submissions:
        waiting.put((student, path))
    reports = {}

    def work():
        """Grade what is waiting, one submission after another, on a worker of this thread; a
        worker that ended is replaced when there is more to grade."""
        worker = Worker()
        try:
            while True:
                try:
                    student, path = waiting.get_nowait()
                except queue.Empty:
                    return
                if worker.process.poll() is not None:
                    worker.close()  # its pipes
                    worker = Worker()
                request = {"submission": str(path), "instructor": str(instructor),
                           "options": list(options)}  # fmt: skip
                try:
                    reports[student] = worker.grade(request, limit)
                except WorkerFailed as failure:
                    reports[student] = not_graded(path, failure.reason)
        finally:
            worker.close()

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done in [pool.submit(work) for _ in range(min(jobs, len(submissions)))]:
            done.result()
    return {student: reports[student] for student, _path in submissions}


def _answer(request, parser):
    """The answer (a dict) to one request (a dict, see the module docstring)."""
    from .__main__ import grade_keywords  # not above: it imports this module (via batch)
    from .grade import grade  # not above: the batch's side does not need it

    argv = ["grade", "--instructor", request["instructor"], *request["options"], "--"]
    args = parser.parse_args([*argv, request["submission"]])
    try:
        report = grade(args.submissions[0], args.instructor, **grade_keywords(args))
    except (TypeError, ValueError, OSError, SandboxUnavailable) as error:
        return {"error": f"error: {error}"}  # what the grade command prints
    return {"report": report.to_dict()}


def _tidy():
    """Leave nothing of one grading for the next: the figures the instructor's lesson cells drew
    (pyplot keeps every open figure), and the garbage."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
    gc.collect()


def _answer_stream():
    """A text stream on the worker's stdout for the answers alone: from here on file descriptor
    1 and ``sys.stdout`` go to stderr, so nothing else printed (by Python or C code) can land
    in an answer."""
    answers = os.fdopen(os.dup(1), "w", encoding="ascii")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return answers


def serve():
    """The worker's loop: answer each request line on stdin, until stdin ends."""
    if os.geteuid() == 0:  # it can fork kernels: first, before the grader reads anything
        forkserver.start_here()
    from . import startup  # noqa: F401  (see its docstring; after the fork: kernels start as usual)
    from .__main__ import _parser  # not above: it imports this module (via batch)

    answers, parser = _answer_stream(), _parser()
    for line in sys.stdin:
        answer = _answer(json.loads(line), parser)
        _tidy()  # before answering: the next request finds the worker as the last one left it
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
