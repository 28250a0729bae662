"""The student's feedback page (classroom/feedback.py): what it shows, what it never shows, its
language and its accessible structure, from reports built by hand (no kernel)."""

import json

import pytest
from bs4 import BeautifulSoup

import classroom.grade
from classroom import __main__ as cli
from classroom.feedback import feedback_page, write_feedback, write_feedback_pages
from classroom.report import ExerciseResult, Report

INSTRUCTOR = "/private/course/instructor/02_edge_detection.ipynb"


def graded_report(language="en"):
    """A Report with one exercise of each status (two failed), a missing solution and instructor
    notes."""
    exercises = [
        ExerciseResult("ex1-check", 2, 2, "passed", ""),
        ExerciseResult("ex2-check", 0, 3, "failed", "edges(image) must return shape (4, 4) <b>"),
        ExerciseResult("ex3-check", 0, 1, "failed", "a hidden test failed"),
        ExerciseResult("ex4-check", 0, 2, "not run", f"cannot read {INSTRUCTOR}"),
    ]
    graded = Report("submitted/alice/02_edge_detection.ipynb", INSTRUCTOR, exercises, ["ex5"], "")
    graded.language, graded.notes = language, ["a lesson cell printed more than 8 MiB"]
    return graded


def report(language="en", **changes):
    """``graded_report``'s JSON form, with some keys changed."""
    return {**graded_report(language).to_dict(), **changes}


def soup(page):
    return BeautifulSoup(page, "html.parser")


def table_rows(page):
    """The exercise table's body as [[exercise, result, points, details]] texts."""
    rows = soup(page).find("tbody").find_all("tr")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])] for row in rows]


def test_the_page_shows_each_exercise_its_status_word_points_and_message():
    page = feedback_page(report(), student="alice")
    assert table_rows(page) == [
        ["ex1-check", "✓ passed", "2 of 2", ""],
        ["ex2-check", "✗ failed", "0 of 3", "edges(image) must return shape (4, 4) <b>"],
        ["ex3-check", "✗ failed", "0 of 1", "a hidden test failed"],
        ["ex4-check", "– not run", "0 of 2", "cannot read 02_edge_detection.ipynb"],
    ]
    text = soup(page).get_text(" ", strip=True)
    assert "Total: 2 of 8 points" in text
    assert "Student: alice" in text
    assert "Solution cell missing from your submission: ex5" in text
    assert "&lt;b&gt;" in page  # a message is text, never markup


def test_the_page_never_shows_the_instructor_path_notes_or_submission_folder():
    page = feedback_page(report(), student="alice")
    for secret in ("/private/course", "instructor/", "8 MiB", "submitted/alice"):
        assert secret not in page
    assert "02_edge_detection.ipynb" in soup(page).find("h1").get_text()


def test_the_instructor_path_as_given_on_the_command_line_is_hidden_too(tmp_path):
    relative = "notebooks/02_edge_detection.ipynb"
    graded = report(instructor=relative)
    graded["exercises"][3]["message"] = f"error in {(tmp_path / relative).resolve()} and {relative}"
    page = feedback_page(graded, instructor=tmp_path / relative)
    assert str(tmp_path) not in page and "notebooks/" not in page
    assert table_rows(page)[3][3] == "error in 02_edge_detection.ipynb and 02_edge_detection.ipynb"


def test_the_page_is_accessible_and_offline():
    page = feedback_page(report())
    document = soup(page)
    assert document.html["lang"] == "en"
    table = document.find("table")
    assert table.caption.get_text(strip=True) == "Result of each exercise"
    assert [th["scope"] for th in table.thead.find_all("th")] == ["col"] * 4
    assert [th["scope"] for th in table.tbody.find_all("th")] == ["row"] * 4
    for symbol in table.tbody.select("[aria-hidden=true]"):  # a symbol beside its word, not alone
        assert symbol.parent.get_text(strip=True) != symbol.get_text(strip=True)
    assert document.find("meta", attrs={"name": "viewport"}) is not None
    assert not document.find_all(["script", "link", "img", "iframe"])
    assert "http://" not in page and "https://" not in page and "url(" not in page


def test_a_chinese_report_gives_a_chinese_page():
    page = feedback_page(report(language="zh"), student="张三")
    document = soup(page)
    assert document.html["lang"] == "zh-CN"
    assert [th.get_text() for th in document.thead.find_all("th")] == [
        "练习",
        "结果",
        "得分",
        "详情",
    ]
    assert document.find("caption").get_text() == "各练习的结果"
    assert [row[1] for row in table_rows(page)] == [
        "✓ 通过",
        "✗ 未通过",
        "✗ 未通过",
        "– 未运行",
    ]
    assert "总分：2 分（满分 8 分）" in document.get_text()
    for english in ("Total", "Exercise", "Student", "passed", "Feedback", "missing"):
        assert english not in document.get_text()


def test_a_report_the_grading_process_never_wrote_still_gets_a_page():
    """A class run's report of a crashed process: no language, instructor or notes keys."""
    crashed = {
        "submission": "submitted/bob/02_edge_detection.ipynb",
        "exercises": [
            {"grade_id": "ex1-check", "points": 0, "max_points": 2, "status": "not run",
             "message": "the grading process failed: boom"},
        ],
        "score": 0,
        "max_score": None,
        "stopped": "the grading process failed: boom",
    }  # fmt: skip
    page = feedback_page(crashed, student="bob", language="zh")
    assert soup(page).html["lang"] == "zh-CN"
    assert table_rows(page) == [
        ["ex1-check", "– 未运行", "0 / 2", "the grading process failed: boom"]
    ]
    assert "总分：0 分（满分 ? 分）" in soup(page).get_text()


def test_each_student_gets_a_page_of_their_own(tmp_path):
    reports = {"alice": report(), "bob": report(score=0)}
    reports["bob"]["exercises"] = [dict(reports["bob"]["exercises"][1], message="bob's own")]
    names = {"alice": "alice", "bob": "bob"}
    paths = write_feedback_pages(reports, tmp_path / "feedback", names, INSTRUCTOR)
    assert paths == [tmp_path / "feedback" / "alice.html", tmp_path / "feedback" / "bob.html"]
    alice, bob = (path.read_text(encoding="utf-8") for path in paths)
    assert "bob" not in alice and "alice" not in bob
    assert table_rows(bob) == [["ex2-check", "✗ failed", "0 of 3", "bob's own"]]
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == ["alice.html", "bob.html"]


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="report must be a report dict, got list"):
        feedback_page([])
    with pytest.raises(ValueError, match=r"lacks the keys \['score'\]"):
        feedback_page({"submission": "a.ipynb", "exercises": []})
    with pytest.raises(ValueError, match="language must be one of"):
        feedback_page(report(language="fr"))
    with pytest.raises(TypeError, match="reports must be a dict"):
        write_feedback_pages([report()], "unused", {})


def test_a_page_that_cannot_be_written_leaves_no_file(tmp_path):
    target = tmp_path / "page.html"
    with pytest.raises(ValueError):
        write_feedback(report(language="fr"), target)
    write_feedback(report(), target)
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temporary file left


def test_grade_feedback_writes_the_page_of_one_submission(tmp_path, monkeypatch, capsys):
    """The CLI's single-submission branch, with the grading itself replaced by a built report."""
    monkeypatch.setattr(classroom.grade, "grade", lambda *args, **kwargs: graded_report())
    page = tmp_path / "alice.html"
    status = cli.main(["grade", "alice.ipynb", "--instructor", INSTRUCTOR, "--unsandboxed",
                       "--json", "--feedback", str(page)])  # fmt: skip
    assert status == cli.EXIT_NOT_FULL_MARKS
    assert json.loads(capsys.readouterr().out)["score"] == 2  # stdout stays the JSON report
    assert table_rows(page.read_text(encoding="utf-8"))[0] == [
        "ex1-check",
        "✓ passed",
        "2 of 2",
        "",
    ]


def test_grade_feedback_is_refused_for_a_class(tmp_path, capsys):
    (tmp_path / "a.ipynb").write_text("{}")
    notebook = tmp_path / "a.ipynb"
    status = cli.main(["grade", str(notebook), "--instructor", INSTRUCTOR, "--unsandboxed",
                       "--out", str(tmp_path), "--feedback", "x.html"])  # fmt: skip
    assert status == cli.EXIT_USAGE
    assert "--feedback is for one submission" in capsys.readouterr().err
