"""Fixtures and helpers shared by the tests."""

import os

# Test workers share two cores: one thread each. With torch's default of one thread per core,
# every worker's threads wait for each other whenever the other worker runs, and a notebook's
# training cell took 6 minutes instead of one. Set before torch is imported here and inherited by
# the kernels that nbval and the classroom tests start.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # tests draw figures without a display

import pytest  # noqa: E402
import torch  # noqa: E402

import helpers  # noqa: E402
from classroom.release import release  # noqa: E402
from support.assignments import EDITIONS  # noqa: E402


@pytest.fixture(scope="session")
def fashion():
    """The real Fashion-MNIST, loaded once for the whole session."""
    return helpers.load_fashion_mnist()


@pytest.fixture(scope="module")
def student_dirs(tmp_path_factory):
    """The student versions of each edition's lessons, released once per test module."""
    targets = {edition: tmp_path_factory.mktemp(f"student-{edition}") for edition in EDITIONS}
    for edition, target in targets.items():
        release(EDITIONS[edition], target)
    return targets


@pytest.fixture
def one_thread():
    """One torch thread for the test, so runs are bit-for-bit reproducible across processes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# The longest work first, so that `make test`'s workers (pytest-xdist, --dist loadscope, which
# hands out notebooks and modules in collection order) end together instead of one waiting for the
# other's last notebook: the lessons, then these modules, then the rest.
LONG_MODULES = (
    "test_integrity.py",
    "test_nbgrader.py",
    "test_classroom.py",
    "test_grading_lessons.py",
    "test_cluster.py",
    "test_browser.py",
    "test_site.py",
)


def running_order(item):
    """0 for a notebook's cell, 1 for a long module's test, 2 for any other test."""
    if item.path.suffix == ".ipynb":
        return 0
    return 1 if item.path.name in LONG_MODULES else 2


def pytest_collection_modifyitems(items):
    """Mark nbval's items (one per notebook cell) `notebooks`: `make test-fast` leaves them. Put
    the longest work first (a stable sort: each notebook's cells keep their order)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
    items.sort(key=running_order)
