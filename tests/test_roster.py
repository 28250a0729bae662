"""Rosters and the Canvas gradebook (classroom/roster.py) from hand-built reports, and one class
graded end to end through the CLI into feedback pages and a Canvas gradebook."""

import csv
import io
import shutil

import pytest
from bs4 import BeautifulSoup

from classroom.release import release
from classroom.roster import (
    canvas_gradebook_text,
    match_roster,
    read_roster,
    roster_problems,
    write_canvas_gradebook,
)
from classroom.words import speaking
from support.assignments import NOTEBOOK_DIR, instructor_path, read, run_cli, with_solutions, write

# The gradebook Canvas exports (its points row included), with the instructor's `folder` column.
CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Edge detection (4567),folder\r\n"
    "    Points Possible,,,,,3,\r\n"
    '"Liddell, Alice",101,S1,alice@uni.example,Section A,,alice\r\n'
    '"Wang, Fang",102,S2,fang@uni.example,Section B,,王芳\r\n'
    '"Roe, Carol",103,S3,carol@uni.example,Section A,,\r\n'
)


def roster_file(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding=encoding, newline="")
    return path


def graded(score, max_score=3):
    return {"submission": "x.ipynb", "exercises": [], "score": score, "max_score": max_score}


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def test_a_canvas_export_with_a_folder_column_is_a_roster(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_EXPORT))
    assert [entry["folder"] for entry in roster] == ["alice", "王芳", ""]  # no points row
    assert roster[0] == {
        "folder": "alice",
        "Student": "Liddell, Alice",
        "ID": "101",
        "SIS User ID": "S1",
        "SIS Login ID": "alice@uni.example",
        "Section": "Section A",
    }


def test_a_two_column_roster_with_excels_byte_order_mark_is_a_roster(tmp_path):
    text = "Folder , sis login id\nalice,alice@uni.example\n\nbob,bob@uni.example\n"
    roster = read_roster(roster_file(tmp_path, text, encoding="utf-8-sig"))
    assert [(e["folder"], e["SIS Login ID"], e["ID"]) for e in roster] == [
        ("alice", "alice@uni.example", ""),
        ("bob", "bob@uni.example", ""),
    ]


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("", "is empty"),
        ("Student,ID\nAlice,101\n", r"expected 'folder' and at least one of"),
        ("folder,Student\nalice,Alice\n", r"expected 'folder' and at least one of"),
        ("folder,ID\nalice,101\nalice,102\n", "lists folder 'alice' twice"),
        ("folder,ID\nalice,101\nbob,101\n", "lists ID '101' twice"),
        ("folder,ID,Student\nalice,,\n", "line 2: folder 'alice' has no student id"),
    ],
)
def test_a_roster_canvas_could_not_use_is_refused(tmp_path, text, complaint):
    with pytest.raises(ValueError, match=complaint):
        read_roster(roster_file(tmp_path, text))


def test_a_roster_must_be_a_path():
    with pytest.raises(TypeError, match="roster must be a path, got list"):
        read_roster(["folder,ID"])


def test_the_canvas_gradebook_has_canvas_columns_a_points_row_and_every_roster_student(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_EXPORT))
    reports = {"alice": graded(2.5), "王芳": graded(3), "zed": graded(1)}
    match = match_roster(roster, reports)
    assert rows_of(canvas_gradebook_text(match, "Edge detection (4567)")) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Edge detection (4567)"],
        ["    Points Possible", "", "", "", "", "3"],
        ["Liddell, Alice", "101", "S1", "alice@uni.example", "Section A", "2.5"],
        ["Wang, Fang", "102", "S2", "fang@uni.example", "Section B", "3"],
        ["Roe, Carol", "103", "S3", "carol@uni.example", "Section A", ""],  # no submission
    ]
    assert [entry["Student"] for entry in match.without_submission] == ["Roe, Carol"]
    assert match.not_on_roster == ["zed"]


def test_without_a_name_column_the_folder_names_the_student(tmp_path):
    roster = read_roster(roster_file(tmp_path, "folder,SIS Login ID\nalice,a@uni.example\n"))
    text = canvas_gradebook_text(match_roster(roster, {"alice": graded(1)}), "02_edge_detection")
    assert rows_of(text)[2] == ["alice", "", "", "a@uni.example", "", "1"]


def test_the_gradebook_file_is_utf8_and_replaced_whole(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_EXPORT))
    target = tmp_path / "canvas_gradebook.csv"
    target.write_text("an older gradebook")
    match = match_roster(roster, {"王芳": graded(3)})
    assert write_canvas_gradebook(match, target, "Lesson 2") == target
    assert target.read_bytes().decode("utf-8") == canvas_gradebook_text(match, "Lesson 2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canvas_gradebook.csv", "roster.csv"]


def test_bad_assignment_titles_and_reports_are_refused(tmp_path):
    match = match_roster(read_roster(roster_file(tmp_path, CANVAS_EXPORT)), {})
    with pytest.raises(TypeError, match="assignment must be a str, got int"):
        canvas_gradebook_text(match, 4567)
    with pytest.raises(ValueError, match="assignment must be a one-line column title"):
        canvas_gradebook_text(match, "Lesson\n2")
    with pytest.raises(TypeError, match="reports must be a dict"):
        match_roster([], [graded(1)])


def test_roster_problems_name_both_kinds_of_mismatch_in_the_editions_language(tmp_path):
    roster = read_roster(roster_file(tmp_path, CANVAS_EXPORT))
    match = match_roster(roster, {"alice": graded(1), "zed": graded(0), "yan": graded(2)})
    assert roster_problems(match, "out/canvas.csv") == [
        "2 students on the roster have no submission (empty scores in out/canvas.csv): "
        "Wang, Fang, Roe, Carol",
        "2 graded students are not on the roster (not in out/canvas.csv): yan, zed",
    ]
    with speaking("zh"):
        lines = roster_problems(match_roster(roster, {"alice": graded(1), "王芳": graded(1)}), "g")
    assert lines == ["名单上有 1 名学生没有提交作业（g 中其分数留空）：Roe, Carol"]
    assert (
        roster_problems(match_roster(roster[:2], {"alice": graded(1), "王芳": graded(1)}), "g")
        == []
    )


@pytest.mark.grading
def test_a_graded_class_gets_feedback_pages_and_a_canvas_gradebook(tmp_path):
    """Two submissions of lesson 02 (ex1 solved; nothing solved), graded through the CLI."""
    name = "02_edge_detection"
    (tmp_path / "lesson").mkdir()  # only lesson 02 released: a second, not six
    shutil.copy(instructor_path(name), tmp_path / "lesson")
    release(tmp_path / "lesson", tmp_path / "student")
    student = read(tmp_path / "student" / f"{name}.ipynb")
    solved = with_solutions(student, read(instructor_path(name)), {"ex1"})
    for folder, notebook in {"alice": solved, "bob": student}.items():
        (tmp_path / "submitted" / folder).mkdir(parents=True)
        write(notebook, tmp_path / "submitted" / folder / f"{name}.ipynb")
    roster = roster_file(tmp_path, CANVAS_EXPORT)
    out = tmp_path / "graded"
    result = run_cli("grade", tmp_path / "submitted", "--instructor", instructor_path(name),
                     "--fast", "--jobs", "2", "--out", out, "--roster", roster,
                     "--lms-assignment", "Edge detection (4567)")  # fmt: skip
    assert result.returncode == 1, result.stderr[-2000:]
    canvas = rows_of((out / "canvas_gradebook.csv").read_text(encoding="utf-8"))
    maximum = canvas[1][5]
    assert [row[0] for row in canvas] == ["Student", "    Points Possible", "Liddell, Alice",
                                          "Wang, Fang", "Roe, Carol"]  # fmt: skip
    assert float(canvas[2][5]) > 0 and float(maximum) > float(canvas[2][5])
    assert canvas[3][5] == canvas[4][5] == ""
    assert "2 students on the roster have no submission" in result.stdout  # 王芳 and Roe, Carol
    assert "1 graded student is not on the roster" in result.stdout and ": bob" in result.stdout
    pages = sorted((out / "feedback").iterdir())
    assert [page.name for page in pages] == ["alice.html", "bob.html"]
    alice, bob = (page.read_text(encoding="utf-8") for page in pages)
    assert results(alice)[0] == "✓ passed" and set(results(alice)[1:]) == {"✗ failed"}
    assert set(results(bob)) == {"✗ failed"}
    assert f"of {maximum} points" in alice
    assert str(NOTEBOOK_DIR) not in alice + bob and "submitted" not in alice + bob


def results(page):
    """The result column of a feedback page: status symbol and word per exercise."""
    cells = BeautifulSoup(page, "html.parser").select("tbody td:nth-of-type(1)")
    return [cell.get_text(" ", strip=True) for cell in cells]
