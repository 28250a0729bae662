"""The learner edition (learner/en/, learner/zh/) and the learner's own copy of it (my-lessons/).

Part one checks the repository: the committed learner edition is exactly what
``python -m classroom learner`` builds from the instructor notebooks (notebooks/, notebooks/zh/),
holds no solution, no hidden test and no "all visible checks passed" output, keeps the lessons'
outputs and nbgrader's metadata, and its links resolve from where it lives.
Part two pins down the release steps on small notebooks made here; part three the working copy
that ``make lab`` makes and updates (tools/my_lessons.py); part four grades learner-edition files
with ``classroom grade`` and checks them with nbgrader's own validator.
"""

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from test_nbgrader import assert_nbgrader_validates_structure, nbgrader_python  # noqa: F401

from classroom.grade import grade
from classroom.learner import (
    LEARNER_EDITIONS,
    learner_edition,
    learner_edition_differences,
    learner_version,
    write_learner_edition,
)
from classroom.links import moved_link
from classroom.release import (
    BEGIN_HIDDEN_TESTS,
    BEGIN_SOLUTION,
    END_HIDDEN_TESTS,
    END_SOLUTION,
    grade_id,
    marked_regions,
    nbgrader_checksum,
    nbgrader_flag,
)
from support.assignments import (
    all_strings,
    check_cell,
    check_cells,
    solution_cell,
    solution_cells,
    with_solutions,
    wrong_answer,
)
from tools import my_lessons

REPO = Path(__file__).resolve().parents[1]
PASSED = "all visible checks passed"
EDITION_FILES = [
    (language, path.name)
    for language, (source, _) in LEARNER_EDITIONS.items()
    for path in sorted((REPO / source).glob("*.ipynb"))
]
LINK_TARGET = re.compile(r"\]\(\s*<?([^\s)\"'<>]+)|\b(?:src|href)\s*=\s*[\"']([^\"']+)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def read(path):
    return nbformat.read(path, as_version=4)


def paths(language, name):
    """(instructor notebook, learner notebook) of one lesson."""
    source, target = LEARNER_EDITIONS[language]
    return REPO / source / name, REPO / target / name


def secret_lines(nb):
    """Lines of the solution and hidden-test regions that appear nowhere else in ``nb``'s code."""
    inside, outside = set(), set()
    for cell in nb.cells:
        lines = cell.source.split("\n")
        regions = marked_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION)
        regions += marked_regions(cell.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
        for i, line in enumerate(lines):
            (inside if any(a < i < b for a, b in regions) else outside).add(line.strip())
    return inside - outside - {""}


def exercise_span(nb):
    """Indices of the first and the last solution or check cell."""
    marked = [
        i
        for i, c in enumerate(nb.cells)
        if nbgrader_flag(c, "solution") or nbgrader_flag(c, "grade")
    ]
    return marked[0], marked[-1]


# --------------------------------------------------------------------------------------------------
# Part one: the repository's learner edition
# --------------------------------------------------------------------------------------------------


def test_the_committed_learner_edition_is_a_fresh_build():
    differ = [path.relative_to(REPO).as_posix() for path in learner_edition_differences()]
    assert not differ, f"not what `make learner` builds now (run it): {differ}"


def test_each_instructor_notebook_has_its_learner_notebook():
    expected = {paths(language, name)[1] for language, name in EDITION_FILES}
    assert set(learner_edition()) == expected
    assert {"en", "zh"} == {language for language, _ in EDITION_FILES}


@pytest.mark.parametrize("language,name", EDITION_FILES)
def test_no_solution_no_hidden_test_no_passed_check_in_the_learner_edition(language, name):
    instructor_path, learner_path = paths(language, name)
    instructor, text = read(instructor_path), learner_path.read_text(encoding="utf-8")
    strings = list(all_strings(json.loads(text)))
    leaks = {line.strip() for s in strings for line in s.split("\n")} & secret_lines(instructor)
    assert not leaks, (
        f"{learner_path.name} shows solution or hidden-test lines: {sorted(leaks)[:5]}"
    )
    markers = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS")
    assert not any(marker in s for s in strings for marker in markers)
    learner = read(learner_path)
    outputs = json.dumps([cell.get("outputs", []) for cell in learner.cells], ensure_ascii=False)
    assert PASSED not in outputs, "a check's output tells the learner the answer passes"
    for cell in solution_cells(learner):
        assert cell.source.count("raise NotImplementedError()") == 1, grade_id(cell)


@pytest.mark.parametrize("language,name", EDITION_FILES)
def test_lessons_keep_their_outputs_and_exercises_keep_nbgrader_metadata(language, name):
    instructor_path, learner_path = paths(language, name)
    instructor, learner = read(instructor_path), read(learner_path)
    assert [c.get("id") for c in learner.cells] == [c.get("id") for c in instructor.cells]
    first, last = exercise_span(instructor)
    for index, (before, after) in enumerate(zip(instructor.cells, learner.cells)):
        if before.cell_type != "code":
            continue
        if first <= index <= last:
            assert after.outputs == [] and after.execution_count is None, f"cell {index}"
        else:
            assert after.outputs == before.outputs, f"cell {index}: a lesson output was lost"
            assert after.execution_count == before.execution_count
    for cell in learner.cells:
        if "nbgrader" in cell.metadata:
            assert cell.metadata.nbgrader["checksum"] == nbgrader_checksum(cell)
            assert cell.metadata.deletable is False
    assert [grade_id(c) for c in learner.cells] == [grade_id(c) for c in instructor.cells]
    assert all(c.metadata.get("editable") is False for c in check_cells(learner))
    assert (
        learner.metadata.learner_edition["source"] == instructor_path.relative_to(REPO).as_posix()
    )


@pytest.mark.parametrize("language,name", EDITION_FILES)
def test_relative_links_of_the_learner_edition_resolve(language, name):
    learner_path = paths(language, name)[1]
    for index, cell in enumerate(read(learner_path).cells):
        if cell.cell_type != "markdown":
            continue
        for match in LINK_TARGET.finditer(CODE.sub("", cell.source)):
            target = (match[1] or match[2]).split("#")[0]
            if not target or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target):
                continue
            assert (learner_path.parent / target).exists(), f"{name} cell {index}: {target}"


def test_the_working_copy_lies_as_deep_as_the_learner_edition_and_git_ignores_it():
    """So that ../../figures/ resolves from my-lessons/<language>/ too."""
    for language, (_, target) in LEARNER_EDITIONS.items():
        copy = f"{my_lessons.COPY_FOLDER}/{language}"
        assert len(Path(copy).parts) == len(Path(target).parts) == 2
        assert target == f"{my_lessons.LEARNER_FOLDER}/{language}"
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", f"{copy}/01_cross_correlation.ipynb"], cwd=REPO
        )
        assert ignored.returncode == 0, f"{copy}/ must be git-ignored"


# --------------------------------------------------------------------------------------------------
# Part two: the release steps, on notebooks made here
# --------------------------------------------------------------------------------------------------


def lesson(title="# 01 · A lesson", figure="../figures/x.png"):
    """An instructor notebook: a lesson cell with output, one exercise, an appendix with output."""
    printed = new_output("stream", name="stdout", text="lesson output\n")
    passed = new_output("stream", name="stdout", text=f"Exercise 1: {PASSED}\n")
    cells = [
        new_markdown_cell(f"{title}\n\n![a figure]({figure}) and [lesson two](02_b.ipynb)."),
        new_code_cell("print('lesson output')", execution_count=1, outputs=[printed]),
        new_markdown_cell("## Exercises\n\n`../figures/in_code.png` stays as written."),
        solution_cell(
            "ex1", "def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION"
        ),
        check_cell(
            "ex1-check",
            "assert f() == 42, 'f() should be 42'\nprint('Exercise 1: all visible checks passed')\n"
            "### BEGIN HIDDEN TESTS\nassert f() + 1 == 43\n### END HIDDEN TESTS",
        ),
        new_code_cell("print('appendix')", execution_count=4, outputs=[printed]),
    ]
    cells[3].outputs, cells[3].execution_count = [], 2
    cells[4].outputs, cells[4].execution_count = [passed], 3
    kernel = {"name": "python3", "display_name": "Python 3"}
    return new_notebook(cells=cells, metadata={"kernelspec": kernel, "widgets": {}})


def test_learner_version_keeps_lesson_outputs_and_clears_the_exercises(tmp_path):
    source = tmp_path / "notebooks" / "01_a.ipynb"
    instructor = lesson()
    learner = learner_version(instructor, source, tmp_path / "learner" / "en", {"01_a.ipynb"})
    assert learner.cells[1].outputs == instructor.cells[1].outputs
    assert learner.cells[5].outputs == instructor.cells[5].outputs, "an appendix keeps its output"
    assert (
        learner.cells[3].source == "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert learner.cells[4].source == (
        "assert f() == 42, 'f() should be 42'\nprint('Exercise 1: all visible checks passed')"
    )
    assert learner.cells[4].outputs == [] and learner.cells[4].execution_count is None
    assert "widgets" not in learner.metadata and "kernelspec" in learner.metadata
    assert instructor.cells[4].outputs, "the instructor notebook is left unchanged"


def test_learner_version_rewrites_relative_links_for_its_folder(tmp_path):
    source = tmp_path / "notebooks" / "01_a.ipynb"
    learner = learner_version(lesson(), source, tmp_path / "learner" / "en", {"02_b.ipynb"})
    assert "](../../figures/x.png)" in learner.cells[0].source
    assert "[lesson two](02_b.ipynb)" in learner.cells[0].source, "a lesson link stays a sibling"
    assert "`../figures/in_code.png`" in learner.cells[2].source, "code is not a link"


@pytest.mark.parametrize(
    "target,source_dir,expected",
    [
        ("../figures/x.png", "notebooks", "../../figures/x.png"),
        ("../../figures/x.png", "notebooks/zh", "../../figures/x.png"),
        ("../README.md#set-up", "notebooks", "../../README.md#set-up"),
        ("02_b.ipynb#section", "notebooks", "02_b.ipynb#section"),
        ("03_c.ipynb", "notebooks", "../../notebooks/03_c.ipynb"),  # not released beside it
        ("https://d2l.ai", "notebooks", "https://d2l.ai"),
        ("#exercises", "notebooks", "#exercises"),
    ],
)
def test_moved_link(target, source_dir, expected, tmp_path):
    moved = moved_link(target, tmp_path / source_dir, tmp_path / "learner" / "en", {"02_b.ipynb"})
    assert moved == expected


def test_write_learner_edition_writes_once_and_removes_what_is_gone(tmp_path):
    editions = {"en": ("notebooks", "learner/en")}
    (tmp_path / "notebooks").mkdir()
    for name in ("01_a", "02_b"):
        nbformat.write(lesson(), tmp_path / "notebooks" / f"{name}.ipynb")
    written = write_learner_edition(tmp_path, editions)
    assert sorted(p.name for p in written) == ["01_a.ipynb", "02_b.ipynb"]
    assert write_learner_edition(tmp_path, editions) == [], "a second build changes nothing"
    assert learner_edition_differences(tmp_path, editions) == []
    (tmp_path / "notebooks" / "02_b.ipynb").unlink()
    edited = tmp_path / "learner" / "en" / "01_a.ipynb"
    edited.write_text(edited.read_text(encoding="utf-8").replace("lesson", "LESSON"))
    assert learner_edition_differences(tmp_path, editions) == [
        edited,
        tmp_path / "learner" / "en" / "02_b.ipynb",
    ]
    write_learner_edition(tmp_path, editions)
    assert [p.name for p in (tmp_path / "learner" / "en").iterdir()] == ["01_a.ipynb"]


# --------------------------------------------------------------------------------------------------
# Part three: the learner's working copy (make lab)
# --------------------------------------------------------------------------------------------------


def release_lessons(root, version, names=("01_a", "02_b")):
    """Write learner/en/ under ``root``: each lesson's code cell says ``version``."""
    folder = root / "learner" / "en"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        nb = lesson(title=f"# {name}")
        nb.cells[1].source = f"print('lesson, version {version}')"
        nbformat.write(nb, folder / f"{name}.ipynb")


def copy_of(root, name):
    return root / "my-lessons" / "en" / f"{name}.ipynb"


def run_and_save(path, source=None):
    """What JupyterLab does when a learner runs every cell and saves (and, with ``source``,
    types an answer into the solution cell)."""
    nb = read(path)
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="run by the learner\n")]
    nb.cells[1].execution_count = 7
    if source is not None:
        nb.cells[3].source = source
    nbformat.write(nb, path)


def test_first_use_copies_the_learner_edition_and_records_it(tmp_path):
    release_lessons(tmp_path, 1)
    lines = my_lessons.sync("en", tmp_path)
    assert lines == [
        "made my-lessons/en/, your own copy of the 2 lessons (git ignores it: save your work there)"
    ]
    for name in ("01_a", "02_b"):
        released = tmp_path / "learner" / "en" / f"{name}.ipynb"
        assert copy_of(tmp_path, name).read_bytes() == released.read_bytes()
    state = json.loads((tmp_path / "my-lessons" / "en" / ".released.json").read_text())
    assert set(state["lessons"]) == {"01_a.ipynb", "02_b.ipynb"}
    assert my_lessons.sync("en", tmp_path) == [], "nothing new: nothing to say"


def test_a_newer_release_updates_untouched_lessons_and_copies_new_ones(tmp_path):
    release_lessons(tmp_path, 1)
    my_lessons.sync("en", tmp_path)
    run_and_save(copy_of(tmp_path, "01_a"))  # run, not changed
    release_lessons(tmp_path, 2, names=("01_a", "02_b", "03_c"))
    lines = my_lessons.sync("en", tmp_path)
    assert lines == [
        "updated 01_a.ipynb to its newer version (you had not changed it)",
        "updated 02_b.ipynb to its newer version (you had not changed it)",
        "copied 03_c.ipynb",
    ]
    assert "version 2" in read(copy_of(tmp_path, "01_a")).cells[1].source
    assert not list((tmp_path / "my-lessons" / "en").glob("*.new.ipynb"))


def test_a_lesson_the_learner_changed_is_kept_and_the_new_version_written_beside_it(tmp_path):
    release_lessons(tmp_path, 1)
    my_lessons.sync("en", tmp_path)
    mine = copy_of(tmp_path, "02_b")
    run_and_save(mine, source="def f():\n    return 42")
    my_work = mine.read_bytes()
    release_lessons(tmp_path, 2)
    lines = my_lessons.sync("en", tmp_path)
    assert "kept your 02_b.ipynb; its newer version is 02_b.new.ipynb beside it" in lines
    assert mine.read_bytes() == my_work, "the learner's work is never overwritten"
    beside = mine.with_name("02_b.new.ipynb")
    assert beside.read_bytes() == (tmp_path / "learner" / "en" / "02_b.ipynb").read_bytes()
    assert my_lessons.sync("en", tmp_path) == [], "offered once, not at every start"
    # The learner takes the new version: later releases update it again.
    mine.unlink()
    beside.rename(mine)
    release_lessons(tmp_path, 3)
    assert "updated 02_b.ipynb to its newer version (you had not changed it)" in (
        my_lessons.sync("en", tmp_path)
    )


def test_a_deleted_lesson_is_copied_again(tmp_path):
    release_lessons(tmp_path, 1)
    my_lessons.sync("en", tmp_path)
    copy_of(tmp_path, "01_a").unlink()
    assert my_lessons.sync("en", tmp_path) == ["copied 01_a.ipynb again"]
    assert copy_of(tmp_path, "01_a").is_file()


def test_without_its_record_a_changed_lesson_is_still_kept(tmp_path):
    release_lessons(tmp_path, 1)
    my_lessons.sync("en", tmp_path)
    run_and_save(copy_of(tmp_path, "01_a"), source="def f():\n    return 41")
    (tmp_path / "my-lessons" / "en" / ".released.json").write_text("{not json")
    release_lessons(tmp_path, 2)
    lines = my_lessons.sync("en", tmp_path)
    assert "kept your 01_a.ipynb; its newer version is 01_a.new.ipynb beside it" in lines
    assert "return 41" in read(copy_of(tmp_path, "01_a")).cells[3].source


def test_sync_refuses_an_unknown_language_and_a_missing_edition(tmp_path):
    with pytest.raises(ValueError, match="language must be one of en, zh"):
        my_lessons.sync("fr", tmp_path)
    with pytest.raises(ValueError, match="make learner"):
        my_lessons.sync("zh", tmp_path)


# --------------------------------------------------------------------------------------------------
# Part four: learner-edition files are graded like student versions
# --------------------------------------------------------------------------------------------------


@pytest.mark.grading
def test_classroom_grade_accepts_a_learner_file_and_fails_a_wrong_answer(tmp_path):
    instructor_path, learner_path = paths("en", "02_edge_detection.ipynb")
    instructor, learner = read(instructor_path), read(learner_path)
    submission = with_solutions(learner, instructor, {"ex1"})
    solutions = solution_cells(submission)
    solutions[1].source = wrong_answer(solutions[1].source)
    nbformat.write(submission, tmp_path / learner_path.name)
    report = grade(tmp_path / learner_path.name, instructor_path, fast=True)
    statuses = [(result.grade_id, result.status) for result in report.exercises]
    assert statuses[0] == ("ex1-check", "passed"), report.exercises[0]
    assert all(status == "failed" for _, status in statuses[1:]), statuses
    assert report.score == check_cells(instructor)[0].metadata.nbgrader["points"]


@pytest.mark.nbgrader
def test_the_learner_edition_passes_nbgrader_validate_structure_checks(nbgrader_python):  # noqa: F811
    learner_paths = [paths(language, name)[1] for language, name in EDITION_FILES]
    assert_nbgrader_validates_structure(nbgrader_python, learner_paths)
