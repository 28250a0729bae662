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
* the **learner edition** (``learner_edition``, ``python -m classroom learner``, ``make learner``),
  committed under ``learner/en/`` and ``learner/zh/`` for self-learners: the lesson cells keep their
  executed outputs, the exercise cells (solutions and checks) have theirs cleared, and relative
  links are rewritten to resolve from where the learner edition lives.
"""

import hashlib
import os
import posixpath
import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor, ClearOutputPreprocessor, Preprocessor
from traitlets import Set, Unicode

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


# --------------------------------------------------------------------------------------------------
# The learner edition: lesson outputs kept, exercises as stubs, links that work from learner/
# --------------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
# Each language's instructor notebooks and the folder its learner edition is written to, from the
# repository root. Both learner folders lie two levels down, like notebooks/zh/, so a figure is
# ../../figures/NAME.png from either.
LEARNER_EDITIONS = {
    "en": ("notebooks", "learner/en"),
    "zh": ("notebooks/zh", "learner/zh"),
}
LEARNER_GENERATED_BY = "python -m classroom learner (make learner, make zh); do not edit by hand"

# The target of a markdown link or image `](target`, of a reference definition `[id]: target`, or
# of an HTML `src="target"` / `href="target"`; code spans and fences are left alone.
CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)
LINK_TARGET = re.compile(
    r"(?P<lead>\]\(\s*<?|^ {0,3}\[[^\]\n]+\]:[ \t]*<?|\b(?:src|href)\s*=\s*[\"'])"
    r"(?P<target>[^\s)\"'<>]+)",
    re.MULTILINE,
)
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _is_exercise_cell(cell):
    return any(nbgrader_flag(cell, flag) for flag in ("solution", "grade"))


class ClearExerciseOutputs(Preprocessor):
    """Clear the outputs and execution counts of the exercise cells, keep the lesson's.

    The exercise cells run from the first solution or check cell to the last one: a check's
    "all visible checks passed", and anything computed from a solution, would give the answer away.
    Lesson cells before them (and an appendix after them) keep what they printed and drew.
    """

    def preprocess(self, nb, resources):
        marked = [index for index, cell in enumerate(nb.cells) if _is_exercise_cell(cell)]
        for cell in nb.cells[marked[0] : marked[-1] + 1] if marked else []:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        return nb, resources


def moved_link(target, source_dir, target_dir, lessons):
    """``target``, a relative link in a notebook of ``source_dir``, as seen from ``target_dir``.

    URLs, absolute paths and in-page anchors stay; so does a link to one of ``lessons`` (notebook
    file names) in the same folder, which leads to that lesson's copy beside it. Every other
    relative path is rewritten to reach the same file: ``../figures/x.png`` from ``notebooks/``
    becomes ``../../figures/x.png`` from ``learner/en/``.
    """
    if URL_SCHEME.match(target) or target.startswith(("#", "/")):
        return target
    path, query_or_anchor = re.fullmatch(r"([^?#]*)(.*)", target, re.DOTALL).groups()
    if not path or posixpath.normpath(path) in lessons:
        return target
    between = Path(os.path.relpath(Path(source_dir).resolve(), Path(target_dir).resolve()))
    return posixpath.normpath(posixpath.join(between.as_posix(), path)) + query_or_anchor


def with_moved_links(markdown, move):
    """``markdown`` with ``move(target)`` in place of every link target outside code."""
    pieces, codes = CODE.split(markdown), CODE.findall(markdown)
    moved = [LINK_TARGET.sub(lambda m: m["lead"] + move(m["target"]), piece) for piece in pieces]
    return "".join(text + code for text, code in zip(moved, codes + [""]))


class RewriteRelativeLinks(Preprocessor):
    """Rewrite the relative links of markdown cells so they resolve from ``target_dir``."""

    source_dir = Unicode(help="the folder the notebook comes from").tag(config=True)
    target_dir = Unicode(help="the folder it is written to").tag(config=True)
    lessons = Set(help="file names of the notebooks released beside it").tag(config=True)

    def _move(self, target):
        return moved_link(target, self.source_dir, self.target_dir, self.lessons)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = with_moved_links(cell.source, self._move)
        return cell, resources


class MarkLearnerEdition(Preprocessor):
    """Say in the notebook's metadata which instructor notebook it was generated from, and how."""

    source = Unicode(help="the instructor notebook, from the repository root").tag(config=True)

    def preprocess(self, nb, resources):
        nb.metadata["learner_edition"] = {
            "source": self.source,
            "generated_by": LEARNER_GENERATED_BY,
        }
        return nb, resources


def learner_preprocessors(source, target_dir, lessons, label=None):
    """The learner edition's pipeline for the instructor notebook ``source`` (a Path).

    The student version's checks and clearing of solutions and hidden tests, then the exercise
    cells' outputs cleared (the lesson's kept), metadata trimmed, links moved, origin recorded
    (``label``, e.g. "notebooks/01_x.ipynb"; by default the file name).
    """
    source = Path(source)
    return [
        *exercise_preprocessors(),
        ClearExerciseOutputs(),
        # Drops execution timings and saved widget state; keeps nbgrader, tags, locks, collapsed
        # or hidden cells (``jupyter``) and the kernelspec.
        ClearMetadataPreprocessor(
            preserve_cell_metadata_mask={"nbgrader", "tags", "deletable", "editable", "jupyter"},
            preserve_nb_metadata_mask={"kernelspec", "language_info"},
        ),
        RewriteRelativeLinks(
            source_dir=str(source.parent), target_dir=str(target_dir), lessons=set(lessons)
        ),
        MarkLearnerEdition(source=label or source.name),
    ]


def learner_version(nb, source, target_dir, lessons=(), label=None):
    """The learner edition of the instructor notebook ``nb``, read from the Path ``source``.

    ``target_dir`` is where it will be written (links are rewritten for it); ``lessons`` names the
    notebooks written beside it; ``label`` names the source in the metadata. ``nb`` is left
    unchanged.
    """
    learner, resources = nbformat.from_dict(nb), {}
    for preprocessor in learner_preprocessors(source, target_dir, lessons, label):
        learner, resources = preprocessor.preprocess(learner, resources)
    return learner


def notebook_text(nb):
    """The notebook as JupyterLab stores it: nbformat's JSON and a final newline."""
    return nbformat.writes(nb) + "\n"


def learner_edition(root=REPO, editions=LEARNER_EDITIONS):
    """``{path: notebook text}`` of every learner-edition notebook, built from the instructor's.

    ``editions`` maps a language to ``(instructor folder, learner folder)``, relative to ``root``.
    """
    built = {}
    for source_name, target_name in editions.values():
        source_dir, target_dir = Path(root) / source_name, Path(root) / target_name
        notebooks = sorted(source_dir.glob("*.ipynb"))
        if not notebooks:
            raise ValueError(f"{str(source_dir)!r} holds no .ipynb files")
        lessons = {path.name for path in notebooks}
        for path in notebooks:
            nb = nbformat.read(path, as_version=4)
            label = f"{source_name}/{path.name}"
            learner = learner_version(nb, path, target_dir, lessons, label)
            nbformat.validate(learner)
            built[target_dir / path.name] = notebook_text(learner)
    return built


def stale_learner_notebooks(built, root=REPO, editions=LEARNER_EDITIONS):
    """Learner-edition notebooks on disk whose instructor notebook is gone."""
    folders = [Path(root) / target for _, target in editions.values()]
    return sorted(set().union(*(folder.glob("*.ipynb") for folder in folders)) - set(built))


def learner_edition_differences(root=REPO, editions=LEARNER_EDITIONS):
    """The learner-edition files that differ from a fresh build: changed, missing or stale."""
    built = learner_edition(root, editions)
    differ = [
        path
        for path, text in built.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    return sorted(differ + stale_learner_notebooks(built, root, editions))


def write_learner_edition(root=REPO, editions=LEARNER_EDITIONS):
    """Write the learner edition; returns the paths written or deleted (nothing when up to date).

    A file is written only when its text changes, and a learner notebook whose instructor notebook
    is gone is deleted.
    """
    built = learner_edition(root, editions)
    changed = []
    for path, text in built.items():
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text, encoding="utf-8", newline="\n")
        os.replace(partial, path)
        changed.append(path)
    for stale in stale_learner_notebooks(built, root, editions):
        stale.unlink()
        changed.append(stale)
    return changed
