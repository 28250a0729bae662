"""A kernel forked into its sandbox (classroom.forkserver) is the kernel bwrap would have launched.

Both kinds are started the grader's way (classroom.sandbox.kernel_manager) in fresh workspaces
and asked, from inside, what they are and what they see; the answers must be the same, save
their own pid. What a forked kernel inherits is its server's memory: a grading worker's server
holds none of the hidden tests the worker has graded with. The fork server is used only by root,
who may enter namespaces: these tests run as root, as CI does.
"""

import asyncio
import json
import os
import subprocess
import uuid

import nbformat
import psutil
import pytest
from nbformat.v4 import new_notebook

from classroom import forkserver
from classroom.release import student_version
from classroom.sandbox import Sandbox, kernel_manager
from classroom.worker import Worker
from classroom.workspace import workspace
from support.assignments import check_cell, solution_cell

LOOK = r"""
import json, os, resource, sys
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines())
import matplotlib.pyplot as plt
import helpers, classroom.kernel_side
workspace = os.path.dirname(os.getcwd())
def kind(fd):  # what a file descriptor is: a file's path, or a kind ("socket", "pipe")
    return os.readlink(f"/proc/self/fd/{fd}").split(":")[0]
def open_files():
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            found += [kind(fd)] if int(fd) > 2 else []
        except OSError:  # the folder's own, closed already
            pass
    # Each kind once, and not the kernel's home: IPython opens its history there in its own time.
    return sorted({path for path in found if not path.startswith(workspace + "/home/")})
print(json.dumps({
    "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getgroups()],
    "status": {key: status[key].strip() for key in status
               if key.startswith("Cap") or key in ("NoNewPrivs", "Seccomp")},
    "session in the sandbox": str(os.getsid(0)) in os.listdir("/proc"),
    "processes": sorted(int(name) for name in os.listdir("/proc") if name.isdigit()),
    "mounts": [line.split()[4] + " " + line.split()[5].split(",")[0]
               for line in open("/proc/self/mountinfo")],
    "networks": [line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]],
    "hostname": os.uname().nodename,
    "limits": [resource.getrlimit(getattr(resource, name))
               for name in ("RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_CPU", "RLIMIT_NOFILE")],
    "open files": open_files(),
    "standard streams": [kind(fd) for fd in (0, 1, 2)],
    "cwd": os.getcwd(),
    "environment": dict(os.environ),
    "path": sys.path,
    "helpers": helpers.__file__,
    "kernel side": classroom.kernel_side.__file__,
    "backend": plt.get_backend(),
    "outside modules": sorted(name for name, module in sys.modules.items()
                              if os.path.isabs(getattr(module, "__file__", None) or "")
                              and not module.__file__.startswith(
                                  (sys.prefix, sys.base_prefix, workspace))),
}))
"""


async def _look(forked):
    """What a kernel of the kind ``forked`` says of itself, with its workspace's path as WS."""
    with workspace("en", sandboxed=True) as (cwd, env):
        manager = kernel_manager(Sandbox(cwd.parent, forked=forked))
        # As classroom.execute starts it: what a kernel prints outside its messages is dropped.
        dropped = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        await manager.start_kernel(env=env, cwd=str(cwd), **dropped)
        client = manager.client()
        client.start_channels()
        printed = []
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive(
                LOOK, timeout=60, output_hook=lambda msg: printed.append(msg["content"])
            )
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)
        assert reply["content"]["status"] == "ok", reply["content"]
        text = "".join(content.get("text", "") for content in printed)
        return json.loads(text.replace(str(cwd.parent), "WS"))


@pytest.fixture(scope="module")
def looks():
    return {forked: asyncio.run(_look(forked)) for forked in (False, True)}


def test_a_forked_kernel_sees_what_a_launched_one_sees(looks):
    launched, forked = (dict(looks[kind]) for kind in (False, True))
    # Its own pid: bwrap's PID 1, then the kernel (launched), or the placeholder and the kernel.
    assert launched.pop("processes") == [1, 2]
    assert forked.pop("processes") == [1, 2, 3]
    # Standard input: a pipe from the grader (launched), or /dev/null; output: ipykernel's pipes.
    assert launched.pop("standard streams") == ["pipe"] * 3
    assert forked.pop("standard streams") == ["/dev/null", "pipe", "pipe"]
    assert forked == launched


def test_a_forked_kernel_is_nobody_without_capabilities(looks):
    forked = looks[True]
    assert forked["ids"] == [65534, 65534, 65534, []]
    assert {key: value for key, value in forked["status"].items() if key != "Seccomp"} == {
        "CapInh": "0000000000000000",
        "CapPrm": "0000000000000000",
        "CapEff": "0000000000000000",
        "CapBnd": "0000000000000000",
        "CapAmb": "0000000000000000",
        "NoNewPrivs": "1",
    }
    assert forked["networks"] == ["lo"]
    assert forked["session in the sandbox"]


def test_a_forked_kernel_holds_none_of_the_graders_code(looks):
    forked = looks[True]
    assert forked["helpers"] == "WS/helpers.py"
    assert forked["kernel side"] == "WS/classroom/kernel_side.py"
    assert forked["outside modules"] == []
    assert forked["backend"] == "module://matplotlib_inline.backend_inline"


def test_the_sandbox_ends_when_its_kernel_ends():
    async def start_and_end():
        with workspace("en", sandboxed=True) as (cwd, env):
            manager = kernel_manager(Sandbox(cwd.parent))
            await manager.start_kernel(env=env, cwd=str(cwd))
            process = manager.provisioner.process
            client = manager.client()
            client.start_channels()
            await client.wait_for_ready(timeout=60)
            client.execute("import os; os._exit(0)")
            try:
                return process, process.wait(timeout=10)
            finally:
                client.stop_channels()

    process, status = asyncio.run(start_and_end())
    assert isinstance(process, forkserver.ForkedKernel)
    assert status is not None and process.sandbox.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)


def test_no_kernel_is_forked_where_the_root_is_the_graders(tmp_path):
    """A process whose root is the grader's (this one: no sandbox, or one bwrap has not built
    yet) gets no kernel: the fork server's child checks before it forks one."""
    server = forkserver.shared()
    with pytest.raises(RuntimeError, match="has no root of its own"):
        server.fork(os.getpid(), str(tmp_path), {}, str(tmp_path / "kernel.json"), {}, 65534)


def _memory_holds(pid, needle, chunk=16 * 2**20):
    """Whether the readable memory of process ``pid`` holds the bytes ``needle``."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            span, permissions = line.split()[:2]
            start, end = (int(address, 16) for address in span.split("-"))
            for offset in range(start, end, chunk) if permissions.startswith("r") else ():
                try:  # each chunk overlaps the next by the needle's length
                    data = os.pread(mem.fileno(), min(chunk + len(needle), end - offset), offset)
                except OSError:  # a region the kernel will not let be read ([vvar])
                    break
                if needle in data:
                    return True
    return False


def test_a_workers_fork_server_holds_nothing_of_what_it_graded(tmp_path):
    """Every kernel a worker starts is a fork of its server: after the worker has graded a
    submission, the server's memory holds none of the instructor's hidden tests, though the
    worker's own does (which shows the search finds what is there)."""
    marker = f"hidden-{uuid.uuid4().hex}"
    instructor = new_notebook(cells=[
        solution_cell("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                                "    ### END SOLUTION"),
        check_cell("double-check", "assert double(2) == 4\n### BEGIN HIDDEN TESTS\n"
                                   f"assert double(-3) == -6, {marker!r}\n### END HIDDEN TESTS"),
    ])  # fmt: skip
    nbformat.write(instructor, tmp_path / "double.ipynb")
    nbformat.write(student_version(instructor), tmp_path / "submitted.ipynb")
    worker = Worker()
    try:
        request = {"submission": str(tmp_path / "submitted.ipynb"),
                   "instructor": str(tmp_path / "double.ipynb"), "options": []}  # fmt: skip
        report = worker.grade(request, 120)
        me = psutil.Process(worker.process.pid)
        server = [child for child in me.children() if child.cmdline() == me.cmdline()]
        assert [e["status"] for e in report["exercises"]] == ["failed"], report
        assert len(server) == 1, me.children()
        assert _memory_holds(me.pid, marker.encode())
        assert not _memory_holds(server[0].pid, marker.encode())
    finally:
        worker.close()
