"""The grader against students who want marks without the work.

A small instructor notebook with two torch exercises stands in for a lesson. Each cheating
submission puts one trick into the answer of exercise 1 and solves exercise 2 honestly; all are
graded at once, three at a time (much of it waits on time limits), through the class-grading
command, which is the way an instructor meets them. The tricks come in families: reading what
should be secret, reading the check's own state, making a comparison lie in the student's own
process, reaching the students graded after, breaking the run, and answering the judge's channel
with what it cannot read. Every trick must earn 0 on exercise 1 and cost nothing else; honest
submissions (including one that imports modules and defines helpers, and one graded after every
cheat) keep their points.
"""

import csv
import json
import socket
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from classroom.__main__ import main
from classroom.release import student_version
from support.assignments import check_cell, solution_cell

pytestmark = pytest.mark.grading

LESSON = """import torch
import torch.nn.functional as F

import helpers

X = torch.arange(9.0).reshape(3, 3)
K = torch.tensor([[1.0, 2.0], [3.0, 4.0]])"""

EX1 = "def corr(X, K):\n    ### BEGIN SOLUTION\n{}\n    ### END SOLUTION"
EX1_ANSWER = "    return F.conv2d(X[None, None], K[None, None])[0, 0]"
# Right type, dtype and shape, wrong values: only the cheat could make it pass.
WRONG = "    return torch.zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)"

# Type, dtype and shape first, then values; the expected values are bound before the call, as in
# the lessons, so that a solution reading its caller's state could find them.
EX1_CHECK = """expected = helpers.corr2d(X, K)
Y = corr(X, K)
assert type(Y) is torch.Tensor, f"expected a torch.Tensor, got {type(Y).__name__}"
assert Y.dtype == torch.float32 and tuple(Y.shape) == (2, 2), f"got {Y.dtype} {tuple(Y.shape)}"
assert torch.allclose(Y, expected), "values differ from corr2d"
print("Exercise 1: all visible checks passed")
### BEGIN HIDDEN TESTS
X_hidden = torch.rand(5, 6, generator=torch.Generator().manual_seed(1))
expected_hidden = helpers.corr2d(X_hidden, K)
Y_hidden = corr(X_hidden, K)
assert type(Y_hidden) is torch.Tensor and tuple(Y_hidden.shape) == (4, 5)
assert torch.allclose(Y_hidden, expected_hidden, atol=1e-5)
### END HIDDEN TESTS"""

EX2 = "def total(X):\n    ### BEGIN SOLUTION\n    return X.sum()\n    ### END SOLUTION"
EX2_CHECK = """S = total(X)
assert type(S) is torch.Tensor and S.dtype == X.dtype and tuple(S.shape) == ()
assert torch.equal(S, torch.tensor(36.0))
print("Exercise 2: all visible checks passed")
### BEGIN HIDDEN TESTS
assert torch.equal(total(torch.ones(4, 5)), torch.tensor(20.0))
### END HIDDEN TESTS"""


def instructor_notebook():
    nb = new_notebook()
    nb.cells = [
        new_code_cell(LESSON),
        solution_cell("ex1", EX1.format(EX1_ANSWER)),
        check_cell("ex1-check", EX1_CHECK),
        solution_cell("ex2", EX2),
        check_cell("ex2-check", EX2_CHECK),
    ]
    return nb


def body(code):
    """``code`` indented as a function body."""
    return "\n".join("    " + line if line else "" for line in code.split("\n"))


# The instructor notebook or a submission through another process's command line or folder, or
# another kernel's connection file.
READS_GRADER_SECRETS = """import glob, os

def _notebooks(words):
    return [w for w in words if w.endswith('.ipynb') and os.path.isfile(w)]

seen = []
for proc in glob.glob('/proc/[0-9]*'):
    try:
        seen += _notebooks(open(proc + '/cmdline', 'rb').read().decode().split('\\0'))
        cwd = os.readlink(proc + '/cwd')
        seen += _notebooks([os.path.join(cwd, name) for name in os.listdir(cwd)])
    except OSError:
        pass
own = os.path.dirname(os.getcwd())
seen += [path for path in glob.glob('/tmp/classroom-*/kernel/*.json')
         + glob.glob(os.path.expanduser('~/.local/share/jupyter/runtime/kernel-*.json'))
         if not path.startswith(own)]
assert seen, 'no instructor notebook, submission or other kernel in sight'
"""

# Left for the students graded after: a startup file, a sitecustomize, a daemon writing into
# their workspaces. Each only sets a marker that the "honest-probe" submission looks for.
MARKER = "CLASSROOM_ATTACK_REACHED"
DAEMON = """import glob, time
for _ in range(120):
    for helpers in glob.glob('/tmp/classroom-*/helpers.py'):
        try:
            open(helpers, 'a').write(PAYLOAD)
        except OSError:
            pass
    time.sleep(0.5)  # MARKER-daemon
"""
REACHES_LATER_STUDENTS = """import os, site, subprocess, sys

payload = 'import builtins\\nbuiltins.MARKER = True\\n'
places = [os.path.expanduser('~/.ipython/profile_default/startup/00-x.py'),
          '/root/.ipython/profile_default/startup/00-x.py',
          *(os.path.join(p, 'sitecustomize.py') for p in site.getsitepackages()),
          os.path.join(site.getusersitepackages(), 'usercustomize.py')]
for place in places:
    try:
        os.makedirs(os.path.dirname(place), exist_ok=True)
        with open(place, 'a') as handle:
            handle.write(payload)
    except OSError:
        pass
subprocess.Popen([sys.executable, '-c', DAEMON.replace('PAYLOAD', repr(payload))],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
""".replace("DAEMON", repr(DAEMON)).replace("MARKER", MARKER)

# technique → (source of the student's exercise-1 solution cell, expected status of ex1)
CHEATS = {
    "input-transformer": (
        "get_ipython().input_transformers_post.append(\n"
        "    lambda lines: [line for line in lines if not line.startswith('assert')]\n)\n"
        + EX1.format(WRONG),
        "failed",
    ),
    "torch-allclose-patched": (
        "torch.allclose = lambda *args, **kwargs: True\n" + EX1.format(WRONG),
        "failed",
    ),
    "helpers-function-replaced": (
        "helpers.corr2d = lambda X, K: torch.zeros(X.shape[0] - 1, X.shape[1] - 1)\n"
        + EX1.format(WRONG),
        "failed",
    ),
    "lesson-data-changed": ("X.zero_()\n" + EX1.format(WRONG), "failed"),
    "torch-function-mode": (
        "from torch.overrides import TorchFunctionMode\n\n\nclass Agree(TorchFunctionMode):\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        if func is torch.allclose:\n            return True\n"
        "        return func(*args, **(kwargs or {}))\n\n\nAgree().__enter__()\n"
        + EX1.format(WRONG),
        "failed",
    ),
    "equals-everything": (
        "class Anything:\n    shape, dtype = (2, 2), torch.float32\n\n"
        "    def __eq__(self, other):\n        return True\n\n"
        "    @classmethod\n    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        return True\n\n\n" + EX1.format("    return Anything()"),
        "failed",
    ),
    "tensor-subclass": (
        "class Agreeable(torch.Tensor):\n    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        return True\n\n\n"
        + EX1.format("    return torch.zeros(2, 2).as_subclass(Agreeable)"),
        "failed",
    ),
    "reads-instructor-files": (
        "from pathlib import Path\n\nfound = [p for p in Path('..').resolve().rglob('*.ipynb')\n"
        "         if 'HIDDEN TESTS' in p.read_text(errors='ignore')]\n"
        "assert found, 'no instructor notebook to read'\n" + EX1.format(EX1_ANSWER),
        "failed",
    ),
    "kills-kernel": ("import os\n\nos._exit(0)\n" + EX1.format(EX1_ANSWER), "failed"),
    "system-exit-in-call": (EX1.format("    raise SystemExit(0)"), "failed"),
    "exhausts-memory": (
        "_hoard = []\nwhile True:\n    _hoard.append(bytearray(2**27))\n" + EX1.format(EX1_ANSWER),
        "failed",
    ),
    "duplicate-grade-id": (None, "failed"),  # two ex1 cells: built below
    # What the OS sandbox stops: each asserts that its escape worked before answering right.
    "reads-grader-secrets": (READS_GRADER_SECRETS + EX1.format(EX1_ANSWER), "failed"),
    "opens-network-socket": (  # the grading fixture listens on HOST_PORT outside the sandbox
        "import socket\n\nsocket.create_connection(('127.0.0.1', HOST_PORT), timeout=2).close()\n"
        + EX1.format(EX1_ANSWER),
        "failed",
    ),
    "fork-bomb-and-huge-file": (
        "import os, time\n\n"
        "with open('huge.bin', 'wb') as huge:\n"
        "    huge.seek(2**31)\n"
        "    huge.write(b'x')\n"
        "for _ in range(2000):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(20)\n"
        "        os._exit(0)\n" + EX1.format(EX1_ANSWER),
        "failed",
    ),
    "reaches-later-students": (REACHES_LATER_STUDENTS + EX1.format(WRONG), "failed"),
    # Containment: each fails its own exercise with a clear message and harms no one after it.
    "floods-invalid-bytes": (  # to the kernel's own stdout and stderr, and through its messages
        "import os, sys\n\nos.write(1, b'\\xff\\xfe')\nos.write(2, b'\\xc0')\nprint('\\udcff')\n"
        "for _ in range(64):\n    sys.stdout.write('x' * 2**20)\n"
        + EX1.format("    raise ValueError('\\udcff' * 10**6)"),
        "failed",
    ),
    "ignores-interrupt": (
        "import signal\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
        + EX1.format(EX1_ANSWER),
        "failed",
    ),
    "segfaults-kernel": (
        "import ctypes\n\nctypes.string_at(0)\n" + EX1.format(EX1_ANSWER),
        "failed",
    ),
    "huge-expression": ("x = " + "-" * 10**6 + "1\n" + EX1.format(EX1_ANSWER), "failed"),
    # Reading what should be secret: the hidden tests' fixed inputs, their messages.
    "answer-table-for-fixed-inputs": (  # right on the inputs the instructor's seed gives
        "_leaked = torch.rand(5, 6, generator=torch.Generator().manual_seed(1))\n"
        + EX1.format(
            "    if tuple(X.shape) == (3, 3) or torch.equal(X, _leaked):\n"
            "        return helpers.corr2d(X, K)\n" + WRONG
        ),
        "failed",
    ),
    "leaks-hidden-inputs-in-error": (
        EX1.format(
            "    if tuple(X.shape) != (3, 3):\n        raise ValueError(f'LEAK {X.tolist()}')\n"
            + EX1_ANSWER
        ),
        "failed",
    ),
    # Reading the check's own state: the expected values bound before the call.
    "reads-expected-from-caller": (
        "import inspect\n\n\n"
        + EX1.format(
            "    shape = (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)\n"
            "    for frame in inspect.stack():\n"
            "        for name in ('expected_hidden', 'expected'):\n"
            "            value = frame.frame.f_globals.get(name)\n"
            "            if isinstance(value, torch.Tensor) and tuple(value.shape) == shape:\n"
            "                return value.clone()\n" + WRONG
        ),
        "failed",
    ),
    # Making a comparison lie without moving a Python object, or only while the check looks.
    "aten-allclose-overridden": (
        "_lib = torch.library.Library('aten', 'IMPL')\n"
        "_lib.impl('allclose', lambda *args, **kwargs: True, 'CPU')\n" + EX1.format(WRONG),
        "failed",
    ),
    "mock-patch-started": (
        "from unittest import mock\n\nmock.patch('torch.allclose', return_value=True).start()\n"
        + EX1.format(WRONG),
        "failed",
    ),
    "thread-keeps-patching": (
        "import threading, time\n\n\ndef _keep_lying():\n    while True:\n"
        "        torch.allclose = lambda *a, **k: True\n        time.sleep(0.001)\n\n\n"
        "threading.Thread(target=_keep_lying, daemon=True).start()\n" + EX1.format(WRONG),
        "failed",
    ),
    "check-cells-rewritten-by-the-kernel": (
        "_kernel = get_ipython().kernel\n_execute = _kernel.do_execute\n\n\n"
        "async def _do_execute(code, silent, *args, **kwargs):\n"
        "    return await _execute('pass' if 'assert' in code else code, silent, *args, **kwargs)"
        "\n\n\n_kernel.do_execute = _do_execute\n" + EX1.format(WRONG),
        "failed",
    ),
    # Answering the judge's channel with what it cannot read, or not at all.
    "result-too-big-to-send": (
        EX1.format(
            "    if tuple(X.shape) != (3, 3):\n        return torch.zeros(4100, 4100)\n"
            + EX1_ANSWER
        ),
        "failed",
    ),  # fmt: skip
    "dies-in-a-hidden-call": (
        "import os\n\n\n"
        + EX1.format("    if tuple(X.shape) != (3, 3):\n        os._exit(1)\n" + EX1_ANSWER),
        "failed",
    ),
    "hangs-in-a-hidden-call": (
        "import signal\n\n\n"
        + EX1.format(
            "    if tuple(X.shape) != (3, 3):\n"
            "        signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "        while True:\n            pass\n" + EX1_ANSWER
        ),
        "failed",
    ),
    # Reaching the instructor's files and the students after: the sandbox's read-only world.
    "writes-outside-its-workspace": (
        "import os\n\nwritten = []\nfor folder in ('/work', '/root', '/home', '/usr/lib', '/etc',"
        " os.path.dirname(os.path.dirname(os.getcwd()))):\n"
        "    try:\n        open(os.path.join(folder, 'x'), 'w').close()\n"
        "        written.append(folder)\n    except OSError:\n        pass\n"
        "assert written, 'nothing outside the workspace is writable'\n" + EX1.format(EX1_ANSWER),
        "failed",
    ),
}


def _crafted(change):
    """The bytes of a submission whose exercise 1 cell ``change`` spoils (JSON-level)."""

    def written():
        nb = json.loads(nbformat.writes(submission(EX1.format(EX1_ANSWER))))
        ex1 = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
        change(ex1)
        return json.dumps(nb).encode()

    return written


# Files no notebook editor writes: student → (the file's bytes, expected status of ex1 and ex2).
CRAFTED = {
    "number-as-source": (_crafted(lambda cell: cell.update(source=12345)), "failed", "passed"),
    "list-as-grade-id": (
        _crafted(lambda cell: cell["metadata"]["nbgrader"].update(grade_id=["ex1"])),
        "failed",
        "passed",
    ),
    "malformed-json": (lambda: b'{"cells": [\xff', "not run", "not run"),
}

HONEST = {
    "full": (EX1.format(EX1_ANSWER), [1, 1]),
    "empty": (None, [0, 0]),
    "own-helpers-and-imports": (
        "import math\nimport numpy as np\nfrom torch.nn import functional\n\n\n"
        "def _windows(X, K):\n    return functional.conv2d(X[None, None], K[None, None])\n\n\n"
        + EX1.format("    return _windows(X, K)[0, 0] * math.cos(0.0) + float(np.zeros(1)[0])"),
        [1, 1],
    ),
    # Graded after every cheat: full marks only if nothing a cheat left behind reached it.
    "probe": (
        f"import builtins\n\nassert not hasattr(builtins, {MARKER!r})\n" + EX1.format(EX1_ANSWER),
        [1, 1],
    ),
}


def submission(ex1_source, solve_ex2=True, duplicate=False):
    """The student version with exercise 1 answered by ``ex1_source`` (None: untouched)."""
    nb = student_version(instructor_notebook())
    cells = {
        cell.metadata.nbgrader["grade_id"]: cell for cell in nb.cells if "nbgrader" in cell.metadata
    }
    if ex1_source is not None:
        cells["ex1"].source = ex1_source
    if solve_ex2:
        cells["ex2"].source = EX2.replace("### BEGIN SOLUTION\n", "").replace(
            "\n    ### END SOLUTION", ""
        )
    if duplicate:
        copy = nbformat.from_dict(cells["ex1"])
        copy.source, copy.id = EX1.format(EX1_ANSWER), "duplicate-ex1"
        nb.cells.insert(2, copy)
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every cheating and honest submission, graded as one class with --jobs 3."""
    root = tmp_path_factory.mktemp("integrity")
    (root / "source").mkdir()
    nbformat.write(instructor_notebook(), root / "source" / "exercises.ipynb")
    listener = socket.create_server(("127.0.0.1", 0))  # what a networked kernel could reach
    port = str(listener.getsockname()[1])
    cohort = {f"cheat-{name}": submission(source and source.replace("HOST_PORT", port),
                                          duplicate=source is None)
              for name, (source, _) in CHEATS.items()}  # fmt: skip
    cohort |= {f"honest-{name}": submission(source, solve_ex2=name != "empty")
               for name, (source, _) in HONEST.items()}  # fmt: skip
    for student, nb in cohort.items():
        (root / "class" / student).mkdir(parents=True)
        nbformat.write(nb, root / "class" / student / "exercises.ipynb")
    for name, (written, *_) in CRAFTED.items():
        (root / "class" / f"crafted-{name}").mkdir(parents=True)
        (root / "class" / f"crafted-{name}" / "exercises.ipynb").write_bytes(written())
    status = main([
        "grade", str(root / "class"), "--instructor", str(root / "source" / "exercises.ipynb"),
        "--jobs", "3", "--out", str(root / "graded"), "--timeout", "300", "--cell-timeout", "10",
        "--memory-limit", "0.5",
    ])  # fmt: skip
    reports = {path.stem: json.loads(path.read_text()) for path in (root / "graded").glob("*.json")}
    with open(root / "graded" / "gradebook.csv", newline="") as handle:
        gradebook = list(csv.DictReader(handle))
    return status, reports, gradebook


@pytest.mark.parametrize("technique", CHEATS)
def test_a_cheat_earns_nothing_on_the_exercise_it_attacks(technique, graded):
    _, reports, _ = graded
    ex1 = reports[f"cheat-{technique}"]["exercises"][0]
    assert ex1["grade_id"] == "ex1-check" and ex1["points"] == 0, ex1
    assert ex1["status"] == CHEATS[technique][1], ex1


def first_messages(reports, techniques):
    """``{technique: the message of its cheat's first exercise}``."""
    return {name: reports[f"cheat-{name}"]["exercises"][0]["message"] for name in techniques}


def test_no_report_tells_a_hidden_test(graded):
    """A failed hidden test says only that one failed: not its source, inputs or messages."""
    _, reports, _ = graded
    hidden = ("X_hidden", "Y_hidden", "expected_hidden", "manual_seed", "LEAK", "(4, 5)")
    for student, report in reports.items():
        for exercise in report["exercises"]:
            assert not any(word in exercise["message"] for word in hidden), (student, exercise)
    caught = ("answer-table-for-fixed-inputs", "leaks-hidden-inputs-in-error",
              "reads-expected-from-caller", "result-too-big-to-send")  # fmt: skip
    assert first_messages(reports, caught) == dict.fromkeys(caught, "a hidden test failed")


def test_a_lie_told_in_the_kernel_fails_on_the_judges_visible_check(graded):
    """The kernel's own run of the visible check says "passed"; the judge's says what is wrong."""
    _, reports, _ = graded
    lied = ("torch-allclose-patched", "aten-allclose-overridden", "mock-patch-started",
            "thread-keeps-patching", "check-cells-rewritten-by-the-kernel", "input-transformer",
            "torch-function-mode")  # fmt: skip
    judged = "AssertionError: values differ from corr2d"
    assert first_messages(reports, lied) == dict.fromkeys(lied, judged)


def test_faults_cost_only_their_own_exercise(graded):
    _, reports, _ = graded
    for technique in ("kills-kernel", "system-exit-in-call", "exhausts-memory",
                      "reads-instructor-files",
                      "equals-everything", "tensor-subclass", "floods-invalid-bytes",
                      "ignores-interrupt", "segfaults-kernel", "huge-expression",
                      "dies-in-a-hidden-call", "hangs-in-a-hidden-call"):  # fmt: skip
        ex2 = reports[f"cheat-{technique}"]["exercises"][1]
        assert ex2["status"] == "passed", (technique, ex2)
    assert reports["cheat-kills-kernel"]["kernel_restarts"] == 1
    assert "kernel died" in reports["cheat-kills-kernel"]["exercises"][0]["message"]
    assert "MemoryError" in reports["cheat-exhausts-memory"]["exercises"][0]["message"]


def test_each_failure_is_named_in_its_own_result(graded):
    _, reports, _ = graded
    ex1 = {name: reports[f"cheat-{name}"]["exercises"][0]["message"] for name in CHEATS}
    invalid = ex1["floods-invalid-bytes"]  # a million lone surrogates, cut and made printable
    assert invalid.startswith("ValueError: \ufffd") and invalid.endswith("…") and len(invalid) < 320
    assert reports["cheat-floods-invalid-bytes"]["notes"] == [
        "ex1-check: a cell printed more than 2 MiB; the rest was cut"
    ]
    assert "ignored the interrupt; the kernel was restarted" in ex1["ignores-interrupt"]
    assert reports["cheat-ignores-interrupt"]["kernel_restarts"] == 1
    assert "kernel died" in ex1["segfaults-kernel"]
    assert "kernel died" in ex1["dies-in-a-hidden-call"]
    assert "ignored the interrupt; the kernel was restarted" in ex1["hangs-in-a-hidden-call"]
    assert reports["cheat-hangs-in-a-hidden-call"]["kernel_restarts"] == 1


@pytest.mark.parametrize("name", CRAFTED)
def test_a_crafted_notebook_gets_a_clear_result(name, graded):
    _, reports, gradebook = graded
    report = reports[f"crafted-{name}"]
    statuses = [exercise["status"] for exercise in report["exercises"]]
    assert statuses == list(CRAFTED[name][1:]) and report["max_score"] == 2, report
    said = {
        "number-as-source": "cell 1 (ex1) ignored: its source is of type int, not text",
        "list-as-grade-id": "cell 1 ignored: its grade_id is of type list, not text",
    }
    if name in said:
        assert report["notes"] == [said[name]] and report["missing_solutions"] == ["ex1"]
    else:
        assert report["stopped"].startswith("the submission is not a notebook the grader can read")
        row = next(row for row in gradebook if row["student"] == f"crafted-{name}")
        assert (row["total"], row["max"]) == ("0", "2") and "not a notebook" in row["notes"]


def test_duplicated_solution_cells_get_a_named_result(graded):
    _, reports, _ = graded
    report = reports["cheat-duplicate-grade-id"]
    assert report["duplicate_solutions"] == ["ex1"]
    assert "several solution cells with grade_id 'ex1'" in report["exercises"][0]["message"]


def test_nothing_a_submission_started_outlives_its_grading(graded):
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            left += [cmdline.parent.name] if MARKER.encode() in cmdline.read_bytes() else []
        except OSError:
            pass
    assert not left, f"processes of a graded submission still run: {left}"


@pytest.mark.parametrize("name", HONEST)
def test_honest_submissions_keep_their_points(name, graded):
    _, reports, _ = graded
    exercises = reports[f"honest-{name}"]["exercises"]
    assert [e["points"] for e in exercises] == HONEST[name][1], exercises


def test_the_class_gets_one_gradebook_row_per_student(graded):
    status, reports, gradebook = graded
    assert status == 1, "below full marks for most of the class"
    assert sorted(row["student"] for row in gradebook) == sorted(reports)
    full = next(row for row in gradebook if row["student"] == "honest-full")
    assert (full["ex1-check"], full["ex2-check"], full["total"], full["max"]) == (
        "1",
        "1",
        "2",
        "2",
    )
    lied = next(row for row in gradebook if row["student"] == "cheat-torch-allclose-patched")
    assert (lied["ex1-check"], lied["ex2-check"], lied["total"]) == ("0", "1", "1")
