"""Student versions of the instructor notebooks, following nbgrader's conventions.

The instructor notebooks in ``notebooks/`` mark exercises the way nbgrader does:

* a solution cell (metadata ``nbgrader.solution: true``) holds its answer between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the student version gets ``# YOUR CODE HERE`` +
  ``raise NotImplementedError()`` at the indentation of the BEGIN line (nbgrader's
  ``ClearSolutions``);
* a check cell (metadata ``nbgrader.grade: true``) may hold hidden tests between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``; the student version drops them
  (nbgrader's ``ClearHiddenTests``).

Each step is an nbconvert ``Preprocessor`` working on ``nbformat`` cells; the nbgrader metadata is
kept as it is, so the student notebooks look like the ones ``nbgrader generate_assignment``
releases.

Two releases are built from the same steps:

* the **student version** (``release``, ``python -m classroom release``): every output cleared, as
  nbgrader hands out assignments;
* the **learner edition** (classroom.learner, ``python -m classroom learner``, ``make learner``),
  committed under ``learner/en/`` and ``learner/zh/`` for self-learners: the lesson cells keep their
  executed outputs, the exercise cells (solutions and checks) have theirs cleared, and relative
  links are rewritten to resolve from where the learner edition lives.
"""

import hashlib
import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor, ClearOutputPreprocessor, Preprocessor
from traitlets import Unicode

# The link movers live in classroom.links; tools.translation and its tests import them from here.
from .links import LINK_TARGET, URL_SCHEME, moved_link, with_moved_links  # noqa: F401

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


def nbgrader_flag(cell, flag):
    """True when the cell's ``metadata.nbgrader`` sets ``flag``: "solution", "grade" or "locked"."""
    return bool(cell.metadata.get("nbgrader", {}).get(flag, False))


def grade_id(cell):
    """The cell's nbgrader ``grade_id``, or None for a cell without nbgrader metadata."""
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def marked_regions(source, begin, end):
    """Split ``source`` into lines; return ``[(begin_line_index, end_line_index), ...]``.

    One pair per region. A marker counts wherever it appears on a line, as in nbgrader. Raises
    ValueError for a region that is nested in another or never closed, and for an END marker
    without a BEGIN.
    """
    regions, start = [], None
    for index, line in enumerate(source.split("\n")):
        if begin in line:
            if start is not None:
                raise ValueError(
                    f"nested {begin!r} on line {index + 1}; "
                    f"close the region opened on line {start + 1}"
                )
            start = index
        elif end in line:
            if start is None:
                raise ValueError(f"{end!r} on line {index + 1} has no {begin!r} before it")
            regions.append((start, index))
            start = None
    if start is not None:
        raise ValueError(f"{begin!r} on line {start + 1} is never closed by {end!r}")
    return regions


def replace_regions(source, begin, end, replacement=None):
    """``source`` with each begin…end region (marker lines included) replaced.

    The replacement is the lines of ``replacement``, a multi-line string written at the indentation
    of the BEGIN line, or nothing when it is None. Returns ``(new_source, number_of_regions)``.
    """
    lines = source.split("\n")
    regions = marked_regions(source, begin, end)
    for start, stop in reversed(regions):
        indent = re.match(r"\s*", lines[start]).group(0)
        stub = (
            [indent + line for line in replacement.split("\n")] if replacement is not None else []
        )
        lines[start : stop + 1] = stub
    return "\n".join(lines), len(regions)


def _cell_name(cell, index):
    """How error messages name a cell: its grade_id when it has one, else its position."""
    return f"cell {index} ({grade_id(cell) or 'no grade_id'})"


class ClearSolutions(Preprocessor):
    """Replace solution regions by a stub, as nbgrader's ClearSolutions does.

    A solution cell without markers is replaced whole: code by ``code_stub``, markdown by
    ``text_stub``. Markers in a cell that is not a solution cell are an error, because the grader
    could not match it.
    """

    code_stub = Unicode(CODE_STUB).tag(config=True)
    text_stub = Unicode(TEXT_STUB).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        try:
            cell.source, replaced = replace_regions(
                cell.source, BEGIN_SOLUTION, END_SOLUTION, self.code_stub
            )
        except ValueError as error:
            raise ValueError(f"{_cell_name(cell, index)}: {error}") from None
        is_solution = nbgrader_flag(cell, "solution")
        if replaced and not is_solution:
            raise ValueError(
                f"{_cell_name(cell, index)} has a solution region but its metadata lacks "
                f'"nbgrader": {{"solution": true, "grade_id": ...}}'
            )
        if is_solution and not replaced:
            cell.source = self.code_stub if cell.cell_type == "code" else self.text_stub
        return cell, resources


class ClearHiddenTests(Preprocessor):
    """Drop hidden test regions, as nbgrader's ClearHiddenTests does.

    They may only sit in grade cells.
    """

    def preprocess_cell(self, cell, resources, index):
        try:
            cell.source, removed = replace_regions(
                cell.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS
            )
        except ValueError as error:
            raise ValueError(f"{_cell_name(cell, index)}: {error}") from None
        if removed and not nbgrader_flag(cell, "grade"):
            raise ValueError(
                f"{_cell_name(cell, index)} has hidden tests but its metadata lacks "
                f'"nbgrader": {{"grade": true, "grade_id": ...}}'
            )
        if removed:  # the blank lines that led up to the hidden tests now end the cell
            cell.source = cell.source.rstrip()
        return cell, resources


def nbgrader_locked(cell):
    """nbgrader's ``is_locked``: check cells always, solution cells never, others by metadata."""
    if "nbgrader" not in cell.metadata or nbgrader_flag(cell, "solution"):
        return False
    return nbgrader_flag(cell, "grade") or nbgrader_flag(cell, "locked")


def nbgrader_checksum(cell):
    """The checksum ``nbgrader validate`` recomputes for a locked cell (nbgrader 0.9's formula).

    MD5 of the source, cell type, grade/solution/locked flags, grade_id and, for a check cell, its
    points as a float; ``validate`` reports a locked cell whose checksum changed.
    """
    digest = hashlib.md5()
    points = [str(float(cell.metadata.nbgrader["points"]))] if nbgrader_flag(cell, "grade") else []
    for part in (
        cell.source,
        cell.cell_type,
        str(nbgrader_flag(cell, "grade")),
        str(nbgrader_flag(cell, "solution")),
        str(nbgrader_locked(cell)),
        grade_id(cell),
        *points,
    ):
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


class ComputeChecksums(Preprocessor):
    """Write ``checksum`` and ``cell_type`` into nbgrader cells, as ``generate_assignment`` does.

    Runs after the solutions and hidden tests are cleared, so the checksums are the student
    version's; ``nbgrader validate`` and ``autograde`` use them to notice edited check cells.
    """

    def preprocess_cell(self, cell, resources, index):
        if any(nbgrader_flag(cell, flag) for flag in ("grade", "solution")) or nbgrader_locked(
            cell
        ):
            cell.metadata.nbgrader["checksum"] = nbgrader_checksum(cell)
            cell.metadata.nbgrader["cell_type"] = cell.cell_type
        return cell, resources


class LockCells(Preprocessor):
    """Make nbgrader cells undeletable and locked cells read-only, so a student cannot lose a check.

    nbgrader's LockCells sets ``deletable: false``; ``editable: false`` on locked cells is
    JupyterLab's read-only flag, which nbgrader's own extension enforces in its place.
    """

    def preprocess_cell(self, cell, resources, index):
        if "nbgrader" in cell.metadata:
            cell.metadata["deletable"] = False
        if nbgrader_flag(cell, "locked") and not nbgrader_flag(cell, "solution"):
            cell.metadata["editable"] = False
        return cell, resources


class CheckGradeIds(Preprocessor):
    """Reject what nbgrader would reject.

    That is nbgrader cells without a unique grade_id, and grade cells without points.
    """

    def preprocess(self, nb, resources):
        seen = set()
        for index, cell in enumerate(nb.cells):
            if not any(nbgrader_flag(cell, flag) for flag in ("solution", "grade", "locked")):
                continue
            name = grade_id(cell)
            if not name:
                raise ValueError(f"{_cell_name(cell, index)} has nbgrader metadata but no grade_id")
            if name in seen:
                raise ValueError(f"{_cell_name(cell, index)}: grade_id {name!r} is used twice")
            seen.add(name)
            if nbgrader_flag(cell, "grade") and not isinstance(
                cell.metadata.nbgrader.get("points"), (int, float)
            ):
                raise ValueError(
                    f"{_cell_name(cell, index)} is a grade cell without numeric points"
                )
        return nb, resources


def exercise_preprocessors():
    """What every edition for students does to the exercises, in order: validate, clear solutions
    and hidden tests, checksum, lock."""
    return [CheckGradeIds(), ClearSolutions(), ClearHiddenTests(), ComputeChecksums(), LockCells()]


def student_preprocessors():
    """The release pipeline, in order.

    The exercise steps, then clear outputs and metadata.
    """
    return [
        *exercise_preprocessors(),
        ClearOutputPreprocessor(),
        # Drops saved widget state and execution timings;
        # keeps nbgrader, tags, locks and the kernelspec.
        ClearMetadataPreprocessor(
            preserve_cell_metadata_mask={"nbgrader", "tags", "deletable", "editable"},
            preserve_nb_metadata_mask={"kernelspec", "language_info"},
        ),
    ]


def student_version(nb):
    """A student copy of the instructor notebook ``nb`` (an nbformat NotebookNode).

    ``nb`` is left unchanged.
    """
    student, resources = nbformat.from_dict(nb), {}  # from_dict copies every container
    for preprocessor in student_preprocessors():
        student, resources = preprocessor.preprocess(student, resources)
    return student


def release(source_dir, target_dir):
    """Write the student version of every ``*.ipynb`` in ``source_dir`` to ``target_dir``.

    Returns the list of written paths. Notebooks are validated against the nbformat schema before
    writing.
    """
    source_dir, target_dir = Path(source_dir), Path(target_dir)
    if not source_dir.is_dir():
        raise ValueError(f"source_dir must be a folder of notebooks, got {str(source_dir)!r}")
    notebooks = sorted(source_dir.glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"source_dir {str(source_dir)!r} holds no .ipynb files")
    if target_dir.resolve() == source_dir.resolve():
        raise ValueError(
            "target_dir must differ from source_dir, "
            "or the instructor notebooks would be overwritten"
        )
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        student = student_version(nbformat.read(path, as_version=4))
        nbformat.validate(student)
        nbformat.write(student, target_dir / path.name)
        written.append(target_dir / path.name)
    return written
