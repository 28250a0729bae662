"""A fresh working folder for one grading run: the code and data a lesson needs, no instructor file.

The kernel starts in ``<workspace>/notebooks/``, an empty folder laid out like the repository's, so
the lessons' ``import helpers`` and ``helpers.REPO_ROOT / …`` find copies of the repository code
(``helpers.py``, ``convlab/``, ``figures/``) through ``PYTHONPATH``, and the lesson data in
``notebooks/results/``; ``classroom/`` holds only the two modules the judge's channel runs in the
kernel (classroom.kernel_side). No notebook is copied: a student cell that lists or reads the
folder finds no instructor notebook and no hidden test. Fashion-MNIST is read where it already
lies, through $FASHION_MNIST_ROOT. The kernel speaks the edition's language ($CONVLAB_LANGUAGE),
so a Chinese submission's errors and check messages are Chinese.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from convlab.language import LANGUAGE_ENV_VAR

from .sandbox import hand_over

REPO = Path(__file__).resolve().parents[1]
# The code's catalogue (convlab.language) goes with the code; never locale/zh/lessons/, whose
# entries include the hidden tests' strings.
COPIED = ("helpers.py", "convlab", "figures", "notebooks/results", "locale/zh/LC_MESSAGES")
# The grader's code that runs in the kernel (the judge's channel), as a package of its own.
KERNEL_SIDE = ("classroom/plain.py", "classroom/kernel_side.py")
DATA_ENV_VAR = "FASHION_MNIST_ROOT"  # convlab.data's variable; not imported, to keep torch out


def _copy(source, target):
    """Copy one file or folder, leaving out caches."""
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    elif source.is_file():
        shutil.copy2(source, target)


# What a sandboxed kernel keeps of the grader's environment: nothing that names the grader's files.
KEPT_IN_SANDBOX = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def kernel_environment(root, language="en", sandboxed=False):
    """The environment for a kernel working in workspace ``root`` that speaks ``language``.

    ``root`` comes first on PYTHONPATH, so its ``helpers`` wins over an installed one. A sandboxed
    kernel gets a few of the grader's variables only, and its home in the workspace.
    """
    if sandboxed:
        home = root / "home"
        home.mkdir(exist_ok=True)
        env = {name: os.environ[name] for name in KEPT_IN_SANDBOX if name in os.environ}
        env |= {"HOME": str(home), "IPYTHONDIR": str(home / ".ipython"), "TMPDIR": "/tmp"}
        if DATA_ENV_VAR in os.environ:
            env[DATA_ENV_VAR] = os.environ[DATA_ENV_VAR]
    else:
        env = dict(os.environ)
    env[LANGUAGE_ENV_VAR] = language
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    if DATA_ENV_VAR not in env and (REPO / "data" / "FashionMNIST").is_dir():
        env[DATA_ENV_VAR] = str(REPO / "data")
    return env


@contextmanager
def workspace(language="en", sandboxed=False):
    """Yield ``(working_folder, environment)`` for one kernel speaking ``language``, sandboxed or
    not; the folder is deleted afterwards (with whatever the kernel wrote there)."""
    with tempfile.TemporaryDirectory(prefix="classroom-") as folder:
        root = Path(folder)
        for name in COPIED:
            _copy(REPO / name, root / name)
        (root / "classroom").mkdir()
        (root / "classroom" / "__init__.py").touch()
        for name in KERNEL_SIDE:
            _copy(REPO / name, root / name)
        (root / "notebooks").mkdir(exist_ok=True)
        env = kernel_environment(root, language, sandboxed)
        if sandboxed:
            hand_over(root)
        yield root / "notebooks", env
