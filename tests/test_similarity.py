"""The copying report (``python -m classroom similarity``): pure source analysis, no kernels.

The class is the one benchmarks/similarity_false_positives.py measures: five students who answer
lessons 01 and 02 on their own, four copiers who hand in disguised copies of some of those
answers and leave the rest unanswered, and one who hands in the stubs.
"""

import json
import os
import re

import nbformat
import pytest

from benchmarks.similarity_false_positives import COPIES, LESSONS, write_class
from classroom.__main__ import main
from classroom.copying import MIN_MATCHED, check_threshold, class_answers, find_copying
from classroom.release import grade_id
from classroom.similarity import (
    answer,
    compare,
    given_code,
    known_names,
    statements,
    token_count,
)
from support.assignments import instructor_path, read, solution_cells

KNOWN = {"torch", "F", "range", "isinstance", "int"}

ORIGINAL = """def corr2d_strided(X, K, padding=0, stride=1):
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    X = F.pad(X, (pw, pw, ph, ph))
    kh, kw = K.shape
    Y = torch.zeros((X.shape[0] - kh) // sh + 1, (X.shape[1] - kw) // sw + 1)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i * sh : i * sh + kh, j * sw : j * sw + kw] * K).sum()
    return Y
"""

# ORIGINAL renamed throughout, commented, re-wrapped, a docstring added, the independent
# statements above the loop reordered.
DISGUISED = '''def corr2d_strided(image, kernel, padding=0, stride=1):
    """Strided, padded cross-correlation."""
    k_rows, k_cols = kernel.shape  # kernel size first
    step_r, step_c = (stride, stride) if isinstance(stride, int) else stride
    pad_r, pad_c = (padding, padding) if isinstance(padding, int) else padding

    image = F.pad(image, (pad_c, pad_c,
                          pad_r, pad_r))
    out = torch.zeros((image.shape[0] - k_rows) // step_r + 1,
                      (image.shape[1] - k_cols) // step_c + 1,)
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            # one window
            out[r, c] = (image[r * step_r : r * step_r + k_rows,
                               c * step_c : c * step_c + k_cols] * kernel).sum()
    return out
'''


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory):
    """The benchmark's class, written once: ``folder/<student>/<lesson>.ipynb``."""
    folder = tmp_path_factory.mktemp("class")
    write_class(folder)
    return folder


def test_renaming_comments_layout_and_reordering_change_nothing():
    original, disguised = statements(ORIGINAL, KNOWN), statements(DISGUISED, KNOWN)
    score, matched, lines = compare(original, disguised)
    assert score == 1.0 and matched == token_count(original) == token_count(disguised)
    # every statement is paired with a disguised twin: kh, kw (line 5) with k_rows (line 3)
    assert len(lines) == len(original) and all(a.key == b.key for a, b in lines)
    assert (5, 3) in {(a.line, b.line) for a, b in lines}


def test_keywords_attributes_keyword_arguments_and_known_names_stay():
    (statement,) = statements("out = torch.zeros(n, dtype=torch.float32).sum(dim=0)", {"torch"})
    assert statement.key == tuple(
        "_0 = torch . zeros ( _1 , dtype = torch . float32 ) . sum ( dim = 0 )".split()
    )
    a, b = statements("y = x + 1", set()), statements("y = x - 1", set())
    assert a[0].key != b[0].key
    # a builtin's name the answer binds is its own: renaming it changes nothing
    builtin, renamed = (
        statements(f"{name} = 0\nfor v in values:\n    {name} += max(v, 0)", {"max", "sum"})
        for name in ("sum", "total")
    )
    assert [s.key for s in builtin] == [s.key for s in renamed]
    assert builtin[2].key == ("_0", "+=", "max", "(", "_1", ",", "0", ")")


def test_broken_code_still_gives_its_other_statements():
    source = "def f(x):\n    if x:\n        y = x + 1\n      z = 2\n    return y\nw = (1,\n"
    keys = [statement.key for statement in statements(source, set())]
    assert ("_0", "=", "_1", "+", "1") in keys  # before the bad indentation
    assert ("return", "_0") in keys  # after it
    assert ("_0", "=", "2") in keys  # the badly indented line itself
    assert ("_0", "=", "(", "1", ",") in keys  # the unclosed bracket at the end


def read_solution(instructor, name):
    (source,) = [cell.source for cell in solution_cells(instructor) if grade_id(cell) == name]
    return source


def test_stub_and_lesson_code_are_not_an_answer():
    instructor = read(instructor_path("01_cross_correlation"))
    known = known_names(instructor)
    given = given_code(instructor, known)
    assert {"torch", "F", "helpers", "conv2d_reference"} <= known
    # the stub as released, and lines the lesson shows (helpers.corr2d's source, which it prints)
    stub = "def corr2d_im2col(X, K):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    lesson_lines = (
        "def corr2d_im2col(X, K):\n    kh, kw = K.shape\n    for i in range(Y.shape[0]):\n"
        "        for j in range(Y.shape[1]):\n"
        "            Y[i, j] = (X[i : i + kh, j : j + kw] * K).sum()\n"
    )
    for source in (stub, lesson_lines):
        assert answer({"ex2": [source]}, ["ex2"], known, given) == []
    solved = answer({"ex2": [read_solution(instructor, "ex2")]}, ["ex2"], known, given)
    assert token_count(solved) >= MIN_MATCHED


def expected_copies(folder, lesson):
    """``{(a, b, exercise)}``: the benchmark's copied pairs whose two answers are long enough to
    judge (at least MIN_MATCHED own tokens each)."""
    instructor = read(instructor_path(lesson))
    submissions = sorted((p.parent.name, p) for p in folder.glob(f"*/{lesson}.ipynb"))
    answers, _ = class_answers(submissions, instructor)
    expected = set()
    for cell, copies in COPIES[lesson].items():
        for copier, (source, _) in copies.items():
            exercise = f"{cell}-check"
            if min(token_count(answers[s][exercise]) for s in (copier, source)) >= MIN_MATCHED:
                expected.add((*sorted((copier, source)), exercise))
    return expected


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_class_copies_are_flagged_and_nothing_else(class_folder, lesson):
    flagged, notes, students = find_copying([class_folder], instructor_path(lesson))
    assert notes == [] and students == len(list(class_folder.glob(f"*/{lesson}.ipynb")))
    expected = expected_copies(class_folder, lesson)
    assert expected  # each lesson has copies long enough to judge
    assert {(pair.a, pair.b, pair.grade_id) for pair in flagged} == expected
    for pair in flagged:
        assert pair.score >= 0.8 and pair.matched >= MIN_MATCHED
        # the lines named are the students' own: each text is a line of that student's cell
        assert pair.lines
        for side, student in enumerate((pair.a, pair.b)):
            notebook = read(class_folder / student / f"{lesson}.ipynb")
            cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
                     for cell in notebook.cells}  # fmt: skip
            for statement in (line[side] for line in pair.lines):
                written = cells[statement.cell].split("\n")[statement.line - 1]
                assert statement.text and statement.text == written.strip()


def test_json_lists_the_flagged_pairs_and_exits_1(class_folder, capsys):
    status = main(["similarity", str(class_folder), "--instructor",
                   str(instructor_path("02_edge_detection")), "--json"])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert status == 1 and list(report) == ["flagged"]
    assert {(item["a"], item["b"], item["grade_id"]) for item in report["flagged"]} == (
        expected_copies(class_folder, "02_edge_detection")
    )
    for item in report["flagged"]:
        assert {"a", "b", "grade_id", "score", "lines"} <= set(item) and item["lines"]
        # the score is the share of the shorter answer that matches
        assert item["score"] == round(item["matched_tokens"] / min(item["own_tokens"]), 3)


def test_honest_students_and_stubs_exit_0(class_folder, capsys):
    honest = [
        str(class_folder / s / "01_cross_correlation.ipynb") for s in ("anna", "ben", "blank")
    ]
    status = main(["similarity", *honest, "--instructor",
                   str(instructor_path("01_cross_correlation"))])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    assert "3 students compared" in out and out.rstrip().endswith("0 pairs flagged")


def test_an_unreadable_submission_is_named_and_the_rest_compared(class_folder, tmp_path, capsys):
    broken = tmp_path / "zoe" / "01_cross_correlation.ipynb"
    broken.parent.mkdir()
    broken.write_bytes(b"\xff{ not a notebook")
    sources = [str(class_folder / s / "01_cross_correlation.ipynb") for s in ("anna", "fred")]
    status = main(["similarity", *sources, str(broken), "--instructor",
                   str(instructor_path("01_cross_correlation"))])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1
    assert re.search(r"^zoe: not compared: the submission is not a notebook", out, re.M)
    assert re.search(
        r"^ex1-check: anna and fred, score 0\.\d\d, \d+ matching tokens of \d+ and \d+$", out, re.M
    )
    assert re.search(r"^    anna line \d+: ", out, re.M)


def test_a_student_folder_named_in_bytes_is_printed(class_folder, tmp_path, capsys):
    folder = tmp_path / "class"
    for student in ("anna", "fred"):
        (folder / student).mkdir(parents=True)
        notebook = (class_folder / student / "02_edge_detection.ipynb").read_bytes()
        (folder / student / "02_edge_detection.ipynb").write_bytes(notebook)
    (folder / "fred").rename(os.fsdecode(bytes(folder / "fr") + b"\xffd"))
    status = main(["similarity", str(folder), "--instructor",
                   str(instructor_path("02_edge_detection"))])  # fmt: skip
    assert status == 1 and "ex3-check: anna and fr?d, score 1.00" in capsys.readouterr().out


@pytest.mark.parametrize(
    "added, note",
    [
        ("# padding\n" * 12_000, r"not compared: 1\d{5} characters, more than 100000"),
        ("v = w + 1\n" * 1200, r"not compared: 6\d{3} tokens, more than 5000"),
    ],
)
def test_an_answer_too_long_to_compare_is_named(class_folder, tmp_path, added, note, capsys):
    notebook = read(class_folder / "anna" / "01_cross_correlation.ipynb")
    (cell,) = [cell for cell in solution_cells(notebook) if grade_id(cell) == "ex1"]
    cell.source += "\n" + added
    huge = tmp_path / "zoe" / "01_cross_correlation.ipynb"
    huge.parent.mkdir()
    nbformat.write(notebook, huge)
    sources = [class_folder / "fred" / "01_cross_correlation.ipynb", huge]
    status = main(["similarity", *map(str, sources), "--instructor",
                   str(instructor_path("01_cross_correlation"))])  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(rf"^zoe, ex1-check: {note}$", out, re.M)
    # anna's ex1, copied by fred, is not compared in zoe's notebook; her ex2 (fred's too) is
    assert "ex1-check: fred and zoe" not in out and "ex2-check: fred and zoe" in out
    assert status == 1


@pytest.mark.parametrize(
    "source, option, value, error",
    [
        ("class", "--threshold", "0", r"threshold must be in \(0, 1\], got 0"),
        ("class", "--threshold", "1.5", r"threshold must be in \(0, 1\], got 1.5"),
        ("class", "--instructor", "notebooks/none.ipynb", "No such file"),
        ("nobody", "--threshold", "0.8", "must be a notebook, a folder or a glob"),
    ],
)
def test_bad_arguments_exit_2(class_folder, source, option, value, error, capsys):
    options = {"--instructor": str(instructor_path("01_cross_correlation")), option: value}
    folder = class_folder if source == "class" else class_folder / source
    status = main(["similarity", str(folder), *sum(options.items(), ())])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("error: ") and re.search(error, err)


def test_threshold_is_checked():
    with pytest.raises(TypeError, match="threshold must be a number, got str"):
        check_threshold("0.8")
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\], got 0"):
        check_threshold(0)
    assert check_threshold(1) == 1.0


def test_the_chinese_edition_reports_in_chinese(class_folder, capsys):
    pair = [str(class_folder / s / "02_edge_detection.ipynb") for s in ("ben", "ivan")]
    chinese = instructor_path("02_edge_detection", "zh")
    status = main(["similarity", *pair, "--instructor", str(chinese)])
    out = capsys.readouterr().out
    assert status == 1 and "ex3-check" in out and "ben" in out and "ivan" in out
    assert "matching tokens" not in out and "students compared" not in out
    assert re.search(r"[\u4e00-\u9fff]", out)
