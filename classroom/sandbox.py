"""An OS sandbox for one grading kernel: Linux namespaces through bubblewrap (``bwrap``).

The kernel of a submission runs in ``bwrap`` (Debian's ``bubblewrap``) with

* its own PID, network, IPC and UTS namespaces: it sees its own processes only, has no network
  (the grader reaches it through Unix sockets in the workspace, ZeroMQ's ``ipc`` transport), and
  every process it started dies with it (``--die-with-parent``; the PID namespace ends with it);
* a file system of read-only system folders (``/usr``, ``/etc`` …), the read-only Python
  environment (the venv and its base interpreter), the read-only Fashion-MNIST data, a private
  ``/tmp`` and one writable folder, the workspace (classroom.workspace), which is also its home.
  The repository (the instructor notebooks), other submissions and their workspaces, other
  kernels' connection files and the grader's own files are simply not there;
* limits (``prlimit``) on processes, file size and CPU time; memory is capped from inside the
  kernel once the lesson has imported its modules (classroom.grade), and a kernel that is not root
  cannot raise a limit again. When the grader runs as root the kernel drops to ``nobody``
  (``setpriv``), since Linux does not apply the process limit to root.

The workspace is removed when its grading ends (classroom.workspace). Nothing secret may go into
the command line: pid 1 in the sandbox is bwrap, and its arguments are readable there.

When the grader is root, the kernel is not launched in the sandbox but forked into it from a
server that has imported torch already (classroom.forkserver): bwrap builds the same sandbox
around a placeholder, and the kernel, born in its namespaces, takes the same limits and user.
Started in about 0.4 s instead of 1.5-2 s; tests/test_forkserver.py checks both kinds alike.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import ipykernel.kernelspec
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager

from . import forkserver
from .words import _

NOBODY = 65534
# Read-only system folders the interpreter and its libraries need; missing ones are skipped.
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
PRIVATE_TMP_BYTES = 256 * 2**20
# Extra address space a kernel may take beyond what it holds at start, so a runaway solution meets
# MemoryError in its own cell instead of the machine's OOM killer.
DEFAULT_MEMORY_LIMIT_GIB = 4


@dataclass(frozen=True)
class Limits:
    """Per-kernel limits: processes and threads, bytes per file, CPU seconds per process."""

    processes: int = 512
    file_bytes: int = 512 * 2**20
    cpu_seconds: int = 3600


class SandboxUnavailable(RuntimeError):
    """bubblewrap is not installed (or not usable) here."""


def bwrap_path():
    """The bubblewrap binary, or None when it is not installed."""
    return shutil.which("bwrap")


def why_unavailable():
    """Why no sandbox can run here ("" when one can)."""
    if not sys.platform.startswith("linux"):
        return _("the sandbox needs Linux namespaces (bubblewrap); this is {platform}").format(
            platform=sys.platform
        )
    if bwrap_path() is None or shutil.which("prlimit") is None:
        return _(
            "bubblewrap is not installed: run `sudo apt-get install bubblewrap` "
            "(or grade trusted work with --unsandboxed)"
        )
    return ""


def _folders_above(paths):
    """``--dir`` for each folder above ``paths`` (readable by all: bwrap would make them 0700)."""
    above = {str(parent) for path in paths for parent in Path(path).parents if parent != Path("/")}
    arguments = []
    for folder in sorted(above, key=lambda folder: folder.count("/")):
        arguments += ["--perms", "0755", "--dir", folder]
    return arguments


def _ro_binds(paths):
    arguments = []
    for path in dict.fromkeys(str(p) for p in paths):
        arguments += ["--ro-bind", path, path]
    return arguments


def _bwrap(workspace_root, read_only):
    """bwrap's arguments for a sandbox whose one writable folder is ``workspace_root``."""
    environment = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    root = str(workspace_root)
    # As root, no user namespace: in one, setpriv could not switch to an unmapped user.
    unshare = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    unshare += ["--unshare-cgroup-try"] if os.geteuid() == 0 else ["--unshare-user"]
    command = [bwrap_path(), *unshare, "--die-with-parent", "--new-session"]
    command += ["--size", str(PRIVATE_TMP_BYTES), "--tmpfs", "/tmp"]  # before binds under /tmp
    shown = [path for path in [*SYSTEM_FOLDERS, *sorted(environment), *read_only, root]
             if Path(path).exists()]  # fmt: skip
    command += _folders_above(shown) + _ro_binds(shown[:-1])
    command += ["--bind", root, root, "--proc", "/proc", "--dev", "/dev"]
    # Its parent is outside the PID namespace: pid 1 tells ipykernel not to poll for it.
    return command + ["--setenv", "JPY_PARENT_PID", "1"]


def _as_nobody():
    """setpriv's arguments to drop to ``nobody`` when the grader is root, else none."""
    if os.geteuid() != 0:
        return []
    return [
        "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all",
    ]  # fmt: skip


def kernel_command(kernel_argv, workspace_root, read_only=(), limits=Limits()):
    """``kernel_argv`` (ending in ``-f {connection_file}``) wrapped in bwrap, setpriv and prlimit.

    ``workspace_root``: the one writable folder, seen at the same path inside; ``read_only``: more
    folders to show read-only (the data). The Python environment is shown read-only too.
    """
    command = _bwrap(workspace_root, read_only) + _as_nobody()
    command += [
        "prlimit",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_bytes}",
        f"--cpu={limits.cpu_seconds}",
        "--",
    ]
    return command + list(kernel_argv)


def _rlimits(limits):
    """``limits`` as classroom.forkserver takes them: ``{resource module name: value}``."""
    return {
        "RLIMIT_NPROC": limits.processes,
        "RLIMIT_FSIZE": limits.file_bytes,
        "RLIMIT_CPU": limits.cpu_seconds,
    }


def start_forked_kernel(sandbox, env, cwd, connection_file):
    """A kernel forked into a fresh bwrap sandbox (classroom.forkserver); a ForkedKernel.

    bwrap runs a placeholder in place of the kernel: it says "ready" once it runs, that is once
    bwrap has built the whole sandbox, then sleeps. bwrap writes where its PID 1 is on a pipe
    (``--info-fd``); the fork server's child enters that sandbox and forks the kernel there.
    """
    info_read, info_write = os.pipe()
    command = _bwrap(sandbox.workspace_root, sandbox.read_only)
    command = [command[0], "--info-fd", str(info_write), *command[1:], *_as_nobody()]
    placeholder = subprocess.Popen(
        [*command, "sh", "-c", "echo ready && exec sleep infinity"],
        pass_fds=[info_write],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    os.close(info_write)
    try:
        with os.fdopen(info_read, "rb") as info, placeholder.stdout as said:
            told, ready = info.read(), said.readline()
        if not told or ready != b"ready\n":
            status = placeholder.wait()
            raise SandboxUnavailable(
                _("bwrap did not start (exit status {status})").format(status=status)
            )
        target = json.loads(told)["child-pid"]
        env = {**env, "JPY_PARENT_PID": "1"}
        limits = _rlimits(sandbox.limits)
        pid = forkserver.shared().fork(target, str(cwd), env, connection_file, limits, NOBODY)
        return forkserver.ForkedKernel(placeholder, pid)
    except BaseException:
        placeholder.kill()
        placeholder.wait()
        raise


def hand_over(workspace_root):
    """Give the workspace to the user the kernel runs as (``nobody`` when the grader is root)."""
    if os.geteuid() != 0:
        return
    for folder, subfolders, files in os.walk(workspace_root):
        for name in [folder, *(os.path.join(folder, f) for f in subfolders + files)]:
            os.lchown(name, NOBODY, NOBODY)


@dataclass(frozen=True)
class Sandbox:
    """Where one kernel runs: its workspace (writable), the read-only extras, its limits."""

    workspace_root: Path
    read_only: tuple = ()
    limits: Limits = field(default_factory=Limits)
    forked: bool = True  # fork the kernel from the fork server where it can (the grader is root)

    @property
    def connection_file(self):
        return Path(self.workspace_root) / "kernel" / "connection.json"


class CurrentPythonSpecs(KernelSpecManager):
    """Every kernel name maps to ipykernel in the Python running the grader.

    This is what nbval's --nbval-current-env does.
    """

    def get_kernel_spec(self, kernel_name):
        return self.kernel_spec_class(
            resource_dir=ipykernel.kernelspec.RESOURCES, **ipykernel.kernelspec.get_kernel_dict()
        )


class _SandboxedSpecs(CurrentPythonSpecs):
    """The current Python's ipykernel, started inside ``sandbox``.

    Interrupts go as messages on the control channel: a signal to bwrap would not reach a kernel
    in its own session.
    """

    def __init__(self, sandbox, **kwargs):
        super().__init__(**kwargs)
        self.sandbox = sandbox

    def get_kernel_spec(self, kernel_name):
        spec = super().get_kernel_spec(kernel_name)
        box = self.sandbox
        spec.argv = kernel_command(spec.argv, box.workspace_root, box.read_only, box.limits)
        spec.interrupt_mode = "message"
        return spec


class _SandboxedKernelManager(AsyncKernelManager):
    """Connects through Unix sockets beside the connection file, which the kernel may read."""

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        hand_over(Path(self.connection_file).parent)


class _ForkedKernelManager(_SandboxedKernelManager):
    """Starts its kernel with start_forked_kernel instead of a command."""

    sandbox = None

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        process = await asyncio.to_thread(
            start_forked_kernel, self.sandbox, kw["env"], kw["cwd"], self.connection_file
        )
        self.provisioner.process, self.provisioner.pid = process, process.pid
        self.provisioner.cwd = kw["cwd"]
        self._reconcile_connection_info(self.provisioner.connection_info)


def kernel_manager(sandbox=None):
    """An AsyncKernelManager for the current Python's ipykernel, in ``sandbox`` unless None."""
    if sandbox is None:
        return AsyncKernelManager(kernel_spec_manager=CurrentPythonSpecs(), kernel_name="python3")
    folder = sandbox.connection_file.parent
    folder.mkdir(exist_ok=True)
    hand_over(folder)
    forked = sandbox.forked and os.geteuid() == 0
    manager = (_ForkedKernelManager if forked else _SandboxedKernelManager)(
        kernel_spec_manager=_SandboxedSpecs(sandbox),
        kernel_name="python3",
        transport="ipc",
        ip=str(folder / "socket"),
        connection_file=str(sandbox.connection_file),
    )
    if forked:
        manager.sandbox = sandbox
    return manager
