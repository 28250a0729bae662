"""Sandboxed grading kernels that start in a fraction of a second: forked, not launched.

A kernel launched afresh spends about two seconds importing torch, IPython and matplotlib before
it runs a student's first line. A fork server (``python classroom/forkserver.py``, started by the
grading process with a scrubbed environment) imports them once and then, for each submission,
forks a kernel into that submission's own sandbox:

1. the grading process starts ``bwrap`` for the submission's workspace (classroom.sandbox), with
   ``sleep infinity`` in place of a kernel: bwrap builds the namespaces (PID, mount, network, IPC,
   UTS) and the file system, and tells where (``--info-fd``);
2. the server forks a child that enters those namespaces (``setns``) and that root (``chroot``),
   and forks the kernel, which is born inside the sandbox's PID namespace; the child tells its pid
   and ends;
3. the kernel starts a new session, keeps no file descriptor of the server, takes the limits
   (``setrlimit``), drops every capability and becomes ``nobody``, takes the workspace's
   environment, and runs ``ipykernel`` with the workspace's connection file.

Each kernel is used for one grading and then killed with its sandbox (bwrap's PID 1): whatever it
started dies with it. The server never runs a student's code or reads an instructor's file, so
its memory, which every kernel inherits, holds library code only. It keeps to the root user, who
may enter namespaces; elsewhere the grader launches each kernel afresh (classroom.sandbox).

Why not ``multiprocessing.forkserver``: it runs a Python function whose arguments and result are
pickled, and preloads the parent's ``__main__`` and ``sys.path`` into the server; a kernel needs a
process born in another PID namespace that the grader never waits on, from a server that holds
nothing of the grader's.
"""

import atexit
import ctypes
import importlib
import json
import os
import random
import resource
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

# What every lesson's kernel imports: loaded once, in the server. Not matplotlib_inline's backend:
# it hooks itself into the IPython shell that imports it, and the shell is made in each kernel. Not
# torchvision: it imports torch's compiler too (about 1 s), which only the lessons that load
# Fashion-MNIST need; their kernels import it themselves.
PRELOADED = ("torch", "numpy", "matplotlib.pyplot", "ipykernel.kernelapp")
# Entered in this order, the mount namespace last (their files are opened before any is entered).
NAMESPACES = ("cgroup", "ipc", "uts", "net", "pid", "mnt")
NOBODY = 65534
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 24, 38, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAPABILITY_VERSION_3 = 0x20080522


_LIBC = ctypes.CDLL(None, use_errno=True)  # setns, prctl and capset: not in Python 3.11's os


def _libc_call(name, *arguments):
    if getattr(_LIBC, name)(*arguments) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{name}: {os.strerror(number)}")


def _enter_sandbox(target):
    """Join the namespaces and the root of process ``target`` (bwrap's PID 1 in the sandbox),
    once bwrap has built them (classroom.sandbox waits for that). Only children born after this
    are in its PID namespace."""
    host_root = os.stat("/")
    fds = [os.open(f"/proc/{target}/ns/{name}", os.O_RDONLY) for name in NAMESPACES]
    root = os.open(f"/proc/{target}/root", os.O_RDONLY)
    for fd in fds:
        _libc_call("setns", fd, 0)
        os.close(fd)
    os.fchdir(root)
    os.chroot(".")
    os.close(root)
    if os.path.samestat(os.stat("/"), host_root):  # bwrap had not built its root yet
        raise RuntimeError(f"the sandbox of process {target} has no root of its own")


def _drop_privileges(uid):
    """No capability left, none to gain (no new privileges), then run as ``uid``."""
    _libc_call("prctl", _PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _libc_call("prctl", _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    capability = 0
    while _LIBC.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) == 0:  # until past the last one
        capability += 1
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all empty, twice
    if uid != os.geteuid():
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    _libc_call("capset", header, data)


def _keep_only(*kept):
    """Standard input and output to /dev/null, every other file descriptor closed but ``kept``."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    bounds = [2, *sorted(kept), resource.getrlimit(resource.RLIMIT_NOFILE)[0]]
    for low, high in zip(bounds, bounds[1:]):
        os.closerange(low + 1, high)


def _environment_folders():
    """The Python environment's folders (the venv, the interpreter's), each ending in "/"."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return tuple(os.path.join(prefix, "") for prefix in prefixes)


def _forget_the_grader(request):
    """Keep only the environment's modules and import folders, as a fresh kernel starts: the
    lesson's code (``helpers``, ``classroom.kernel_side``) must come from the workspace."""
    environment = _environment_folders()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)  # torch.ops has a name for a file: kept
        if path and os.path.isabs(path) and not path.startswith(environment):
            del sys.modules[name]
    # As ipykernel_launcher has it: PYTHONPATH, then the environment's (the kernel adds "").
    paths = request["env"].get("PYTHONPATH", "").split(os.pathsep)
    kept = [path for path in sys.path  # and path hooks' names: an editable install's finder
            if path.startswith(environment) or path and not os.path.isabs(path)]  # fmt: skip
    sys.path[:] = [*filter(None, paths), *kept]


def _prepare_kernel(request, ready):
    """Make this fresh process the kernel ``request`` asks for, up to starting ipykernel."""
    os.setsid()  # as bwrap's --new-session: no writing into the grader's terminal
    _keep_only(ready)
    os.chdir(request["cwd"])
    for name, value in request["limits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    _drop_privileges(request["uid"])
    os.environ.clear()
    os.environ.update(request["env"], PWD=request["cwd"])  # bwrap sets PWD too
    _forget_the_grader(request)
    random.seed()  # a fresh process draws its own seeds
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    sys.argv = ["ipykernel_launcher", "-f", request["connection_file"]]


def _run_kernel(request, ready):
    """The kernel's process: prepared, it says "ready" on ``ready`` (else why not) and runs."""
    try:
        _prepare_kernel(request, ready)
    except BaseException as error:
        os.write(ready, f"{type(error).__name__}: {error}".encode())
        os._exit(1)
    os.write(ready, b"ready")
    os.close(ready)
    try:
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
    finally:
        os._exit(0)


def _read_all(fd):
    text = b""
    while chunk := os.read(fd, 4096):
        text += chunk
    os.close(fd)
    return text.decode(errors="replace")


def _start_in_sandbox(request):
    """In the server's child: enter the sandbox, fork the kernel there; ``{"pid": its pid as the
    grader sees it}`` once it is ready, else ``{"error": why}``."""
    _enter_sandbox(request["target"])
    ready_read, ready_write = os.pipe()
    kernel = os.fork()  # born in the sandbox's PID namespace
    if kernel == 0:
        os.close(ready_read)
        _run_kernel(request, ready_write)
    os.close(ready_write)
    told = _read_all(ready_read)
    return {"pid": kernel} if told == "ready" else {"error": told or "the kernel ended at start"}


def _fork_kernel(request):
    """The answer to ``request`` (JSON text): ``{"pid": …}`` or ``{"error": …}``. The child that
    enters the sandbox ends once its kernel is ready; this process stays outside."""
    answer_read, answer_write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(answer_read)
        try:
            answer = _start_in_sandbox(request)
        except BaseException as error:  # told to the grader, which owns the logs
            answer = {"error": f"{type(error).__name__}: {error}"}
        os.write(answer_write, json.dumps(answer).encode())
        os._exit(0)
    os.close(answer_write)
    answer = _read_all(answer_read)
    os.waitpid(child, 0)
    return answer or json.dumps({"error": "the forked child ended without a word"})


def _preload():
    for name in PRELOADED:
        importlib.import_module(name)


def _serve(requests, answers):
    """Say the server is ready, then answer each request line of ``requests`` (binary files)."""
    # pyplot picks its backend on the first figure, in the kernel, whose shell it then hooks into.
    sys.modules["matplotlib"].rcParams["backend"] = INLINE_BACKEND
    answers.write(json.dumps({"ready": True}).encode() + b"\n")
    answers.flush()
    for line in requests:
        answers.write(_fork_kernel(json.loads(line)).encode() + b"\n")
        answers.flush()


class ForkServer:
    """The grading process's side of one server: ``requests`` and ``answers`` are its pipes (binary
    files); ``process`` is its Popen, or None when it was forked from here (then ``pid``). The
    server may still be importing: the first request waits until it says it is ready."""

    def __init__(self, requests, answers, process=None, pid=None):
        self.requests, self.answers = requests, answers
        self.process, self.pid = process, pid
        self.lock = threading.Lock()
        self.ready = False

    @classmethod
    def launched(cls):
        """A server in a fresh process, with nothing of the grader's environment but what a
        sandboxed kernel keeps and a home for matplotlib's font cache."""
        from .workspace import KEPT_IN_SANDBOX

        env = {name: os.environ[name] for name in KEPT_IN_SANDBOX if name in os.environ}
        env |= {"HOME": os.environ.get("HOME", "/"), "PYTHONDONTWRITEBYTECODE": "1"}
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd="/",
        )
        return cls(process.stdin, process.stdout, process=process)

    @classmethod
    def forked_from_here(cls):
        """A server forked from this process once it has imported PRELOADED, which this process
        then has too (a grading worker's judge needs torch). Only for a process that has read
        nothing a student may not see: the kernels inherit its memory."""
        _preload()
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                _keep_only(requests_read, answers_write)
                _serve(os.fdopen(requests_read, "rb"), os.fdopen(answers_write, "wb"))
            finally:
                os._exit(0)
        os.close(requests_read)
        os.close(answers_write)
        return cls(os.fdopen(requests_write, "wb"), os.fdopen(answers_read, "rb"), pid=pid)

    def _answer(self):
        line = self.answers.readline()
        return json.loads(line) if line else {"error": "the kernel fork server ended"}

    def running(self):
        if self.process is not None:
            return self.process.poll() is None
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def fork(self, target, cwd, env, connection_file, limits, uid):
        """The pid of a kernel forked into the sandbox whose bwrap PID 1 is ``target``.

        ``limits``: ``{resource name: value}`` (``"RLIMIT_NPROC"`` …); ``uid``: whom it runs as.
        """
        from .words import _  # not above: the server runs this file as a script

        request = {"target": target, "cwd": cwd, "env": env, "limits": limits}
        request |= {"connection_file": connection_file, "uid": uid}
        with self.lock:
            if not self.ready and self._answer() != {"ready": True}:
                raise RuntimeError(_("the kernel fork server did not start"))
            self.ready = True
            self.requests.write(json.dumps(request).encode() + b"\n")
            self.requests.flush()
            answer = self._answer()
        if "pid" not in answer:
            raise RuntimeError(_("no kernel was forked: {error}").format(error=answer["error"]))
        return answer["pid"]

    def close(self):
        """End the server (the kernels it forked live in their own sandboxes)."""
        self.requests.close()
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        elif self.running():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


_shared = None


def shared():
    """This process's fork server: the one start_here forked, else one launched on first use (and
    again if it ended), which imports beside this process until its first request; closed when
    the process exits."""
    global _shared
    if _shared is None or not _shared.running():
        _shared = ForkServer.launched()
        atexit.register(_shared.close)
    return _shared


def start_here():
    """Fork this process's server from it now (ForkServer.forked_from_here)."""
    global _shared
    _shared = ForkServer.forked_from_here()
    atexit.register(_shared.close)


class ForkedKernel:
    """A forked kernel in its sandbox, seen as a ``subprocess.Popen`` (jupyter_client's view).

    ``pid`` and the signals are the sandbox's (bwrap): killing it kills everything inside. The
    kernel counts as running while its own process lives (a pidfd says when it ends); once it has
    ended, the sandbox is killed too.
    """

    stdin = stdout = stderr = None

    def __init__(self, sandbox_process, kernel_pid):
        self.sandbox = sandbox_process
        self.pid = sandbox_process.pid
        self.pidfd = os.pidfd_open(kernel_pid)

    @property
    def returncode(self):
        return self.sandbox.returncode

    def poll(self):
        if self.sandbox.poll() is None and select.select([self.pidfd], [], [], 0)[0]:
            self.kill()
            self.sandbox.wait()
        if self.sandbox.returncode is not None and self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1
        return self.sandbox.returncode

    def wait(self, timeout=None):
        if self.poll() is None:
            select.select([self.pidfd], [], [], timeout)
        if self.poll() is None:
            raise subprocess.TimeoutExpired(self.sandbox.args, timeout)
        return self.returncode

    def send_signal(self, signum):
        self.sandbox.send_signal(signum)

    def kill(self):
        self.sandbox.kill()

    def terminate(self):
        self.sandbox.terminate()


if __name__ == "__main__":
    _preload()
    _serve(sys.stdin.buffer, sys.stdout.buffer)
