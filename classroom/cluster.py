"""Grade a class on a dask.distributed cluster: one task per submission, graded on a worker.

The workers need this repository and its environment, nothing more: no shared file system. A
task carries the submission's bytes and the instructor notebook's (sent to the cluster once); the
worker writes them into a temporary folder of its own and grades them there with
``classroom.batch.grade_one``, in a grading process of its own, so a submission that crashes or
hangs the grader costs only its own row, never the worker. The reports come back naming the
files by their paths on the instructor's machine, as a local grading writes them.

Imported only by ``grade --scheduler``: grading on one machine never imports dask.
"""

import tempfile
from pathlib import Path

import nbformat
from distributed import Client

from convlab.language import EDITION_FOLDERS

from .batch import grade_one, not_graded
from .report import printable
from .sandbox import SandboxUnavailable, why_unavailable
from .submission import MAX_SUBMISSION_BYTES, read_submission
from .words import _, notebook_language

# Seconds to reach the scheduler, and to wait for its first worker.
CONNECT_TIMEOUT_S = 30


def grade_on_cluster(address, submissions, instructor, options, limit, checks):
    """``{student: report}`` for ``[(student, path)]`` graded on the cluster at ``address``.

    ``instructor``: path of the instructor notebook; ``options``, ``limit`` (seconds for one
    grading process) and ``checks`` (``[(check grade_id, points)]``) as for
    ``classroom.batch.grade_one``. Raises OSError when the scheduler cannot be reached or has no
    worker, SandboxUnavailable when a worker cannot sandbox and ``options`` lack --unsandboxed.
    """
    shipped_instructor = _instructor_file(instructor)
    with Client(address, timeout=CONNECT_TIMEOUT_S) as client:
        _wait_for_a_worker(client, address)
        if "--unsandboxed" not in options:
            _check_sandboxes(client)
        # Sent once, not with every task; in a list, or scatter would send each field apart.
        [on_cluster] = client.scatter([shipped_instructor])
        sent = {student: _send(client, path, on_cluster, options, limit, checks)
                for student, path in submissions}  # fmt: skip
        return {student: _report(sent[student], path, checks) for student, path in submissions}


def _send(client, path, instructor, options, limit, checks):
    """The future of the grading task of the submission at ``path`` (``instructor``: the future of
    the shipped instructor notebook), or at once the report of one not sent."""
    shipped, why = _shipped_submission(path)
    if shipped is None:
        return not_graded(path, checks, why)
    return client.submit(grade_shipped, shipped, instructor, options, limit, checks, pure=False)


def _report(sent, path, checks):
    """The report a grading task gave, or a "not run" one saying why the cluster gave none;
    ``sent``: what ``_send`` returned."""
    if isinstance(sent, dict):
        return sent
    try:
        return sent.result()
    # Whatever ended the task (its workers lost one after another: KilledWorker, the scheduler
    # gone: a cancelled future), it costs this submission's row only, never the other reports.
    except Exception as error:  # noqa: BLE001
        why = printable(f"{type(error).__name__}: {error}")
        return not_graded(path, checks, _("the cluster gave no report: {error}").format(error=why))


def _instructor_file(path):
    """``(file name, path, bytes, edition language)`` of the instructor notebook at ``path``.

    The language is decided here, where the notebook's own folder is known (a ``zh/`` folder
    makes it Chinese), and the worker lays the notebook in a folder that says the same.
    """
    language = notebook_language(nbformat.read(path, as_version=4), path)
    return Path(path).name, str(path), Path(path).read_bytes(), language


def _shipped_submission(path):
    """``((file name, path, bytes), "")`` of the submission at ``path``, what a worker needs to
    grade it; ``(None, why)`` for a file the grader would not read anyway (too large: said in the
    grader's own words, without reading it) or one that cannot be read here."""
    try:
        if Path(path).stat().st_size > MAX_SUBMISSION_BYTES:
            return None, read_submission(path)[1]
        return (Path(path).name, str(path), Path(path).read_bytes()), ""
    except OSError as error:
        return None, _("the submission cannot be read: {error}").format(error=error)


def _wait_for_a_worker(client, address):
    """Wait until the cluster has a worker: tasks sent to none would wait for ever."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except TimeoutError as error:
        raise TimeoutError(
            f"the scheduler at {address} has no worker after {CONNECT_TIMEOUT_S} s: "
            f"start one with `dask worker {address}`"
        ) from error


def _check_sandboxes(client):
    """Raise SandboxUnavailable, naming the worker, when a worker's machine cannot sandbox.

    Checked before any task runs: else every submission would come back "not run".
    """
    for worker, why in sorted(client.run(why_unavailable).items()):
        if why:
            raise SandboxUnavailable(
                _("the worker at {worker} cannot grade: {why}").format(worker=worker, why=why)
            )


def grade_shipped(submission, instructor, options, limit, checks):
    """The report of one submission, graded on the worker this runs on.

    ``submission``: ``(file name, path, bytes)``; ``instructor``: ``(file name, path, bytes,
    language)``, each path as the instructor's machine names the file; the rest as for
    ``classroom.batch.grade_one``. Both files are written into a temporary folder, deleted
    afterwards with whatever the grading left there.
    """
    submission_name, submission_shown, submission_bytes = submission
    instructor_name, instructor_shown, instructor_bytes, language = instructor
    with tempfile.TemporaryDirectory(prefix="classroom-task-") as folder:
        submission_path = Path(folder, "submission", submission_name)
        # The folder name keeps the edition language for notebook_language (see _instructor_file).
        instructor_path = Path(folder, EDITION_FOLDERS.get(language, "instructor"), instructor_name)
        _lay(submission_path, submission_bytes)
        _lay(instructor_path, instructor_bytes)
        report = grade_one(submission_path, instructor_path, options, limit, checks)
    # What a local grading writes: the paths of the files given, in the fields and the messages.
    here = {str(submission_path): submission_shown, str(instructor_path): instructor_shown}
    return _renamed(report, here)


def _lay(path, data):
    """Write ``data`` to ``path`` in a new folder."""
    path.parent.mkdir()
    path.write_bytes(data)


def _renamed(value, names):
    """The JSON document ``value`` with, in each of its strings, every key of ``names`` replaced by
    its value."""
    if isinstance(value, str):
        for old, new in names.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {key: _renamed(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, names) for item in value]
    return value
