"""A fresh working folder for one grading run: the code and data a lesson needs, no instructor file.

The kernel starts in ``<workspace>/notebooks/``, an empty folder laid out like the repository's, so
the lessons' ``import helpers`` and ``helpers.REPO_ROOT / …`` find copies of the repository code
(``helpers.py``, ``convlab/``, ``figures/``) through ``PYTHONPATH``, and the lesson data in
``notebooks/results/``. No notebook is copied: a student cell that lists or reads the folder finds
no instructor notebook and no hidden test. Fashion-MNIST is read where it already lies, through
$FASHION_MNIST_ROOT.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPIED = ("helpers.py", "convlab", "figures", "notebooks/results")
DATA_ENV_VAR = "FASHION_MNIST_ROOT"  # convlab.data's variable; not imported, to keep torch out


def _copy(source, target):
    """Copy one file or folder, leaving out caches."""
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    elif source.is_file():
        shutil.copy2(source, target)


def kernel_environment(root):
    """The environment for a kernel working in workspace ``root``.

    ``root`` comes first on PYTHONPATH, so its ``helpers`` wins over an installed one.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    if DATA_ENV_VAR not in env and (REPO / "data" / "FashionMNIST").is_dir():
        env[DATA_ENV_VAR] = str(REPO / "data")
    return env


@contextmanager
def workspace():
    """Yield ``(working_folder, environment)`` for one kernel; the folder is deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="classroom-") as folder:
        root = Path(folder)
        for name in COPIED:
            _copy(REPO / name, root / name)
        (root / "notebooks").mkdir(exist_ok=True)
        yield root / "notebooks", kernel_environment(root)
