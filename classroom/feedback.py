"""A feedback page per student: each exercise's result, points and message, as one HTML file.

The page is for the student: it shows the exercise names, the status words, the points and the
messages of the report (a hidden test's message is already a generic sentence), the total and the
solution cells missing from the submission. It never shows what is for the instructor: the notes,
the instructor notebook's path (removed from every message too) or anything of another student.
It is written in the report's edition language (``report["language"]``) and reads offline: one
file, inline CSS, no script, nothing fetched.
"""

from pathlib import Path

import jinja2

from .files import write_whole
from .words import _, ngettext, speaking, status_word

FEEDBACK_FOLDER = "feedback"  # a class's pages: <out>/feedback/<student>.html
HTML_LANGUAGES = {"en": "en", "zh": "zh-CN"}
# Shown next to the status word (never instead of it): the word and its colour say the same.
SYMBOLS = {"passed": "✓", "failed": "✗", "not run": "–"}

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("classroom", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a word missing from `words` is an error, not a blank
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def feedback_page(report, student="", instructor=None, language=None):
    """The HTML text of the feedback page of ``report``.

    ``report``: a report dict (``Report.to_dict()`` or a class run's JSON report): ``submission``,
    ``exercises`` [{grade_id, points, max_points, status, message}], ``score``, ``max_score``,
    optionally ``language`` ("en"/"zh") and ``missing_solutions`` [grade_id]. ``student``: the
    name shown on the page ("" for none). ``instructor``: the instructor notebook's path, removed
    from every message shown. ``language``: the page's language when the report names none.
    """
    _check_report(report)
    language = report.get("language") or language or "en"
    if language not in HTML_LANGUAGES:
        raise ValueError(f"language must be one of {sorted(HTML_LANGUAGES)}, got {language!r}")
    hide = _instructor_paths([instructor, report.get("instructor")])
    with speaking(language):
        rows = [_row(exercise, hide) for exercise in report["exercises"]]
        words = _words(report, student, hide)
    template = _TEMPLATES.get_template("feedback.html.j2")
    return template.render(lang=HTML_LANGUAGES[language], words=words, rows=rows, student=student)


def write_feedback(report, path, student="", instructor=None, language=None):
    """Write the feedback page of ``report`` (see ``feedback_page``) to ``path``; returns it."""
    path = Path(path)
    write_whole(path, feedback_page(report, student, instructor, language))
    return path


def write_feedback_pages(reports, folder, file_names, instructor=None, language=None):
    """One page per student: ``reports`` {student: report dict}, ``file_names`` {student: file
    name without suffix}; writes ``<folder>/<file name>.html`` and returns the paths in order."""
    if not isinstance(reports, dict):
        raise TypeError(
            f"reports must be a dict of student to report, got {type(reports).__name__}"
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_feedback(
            report, folder / f"{file_names[student]}.html", student, instructor, language
        )
        for student, report in reports.items()
    ]


def _check_report(report):
    if not isinstance(report, dict):
        raise TypeError(f"report must be a report dict, got {type(report).__name__}")
    missing = {"submission", "exercises", "score"} - set(report)
    if missing:
        raise ValueError(f"report lacks the keys {sorted(missing)}; expected Report.to_dict()'s")


def _row(exercise, hide):
    """What the page shows of one exercise (each value a str, escaped by the template)."""
    status = exercise["status"]
    return {
        "exercise": exercise["grade_id"],
        "status": status_word(status),
        "css": status.replace(" ", "-"),
        "symbol": SYMBOLS.get(status, ""),
        "points": _("{points} of {max_points}").format(
            points=f"{exercise['points']:g}", max_points=f"{exercise['max_points']:g}"
        ),
        "message": _hidden(exercise.get("message") or "", hide),
    }


def _words(report, student, hide):
    """The page's sentences in the language being spoken."""
    notebook = Path(report["submission"]).name
    max_score = report.get("max_score")
    return {
        "title": _("Feedback on {notebook}").format(notebook=notebook),
        "student": _("Student: {student}").format(student=student),
        "total": _("Total: {score} of {max_score} points").format(
            score=f"{report['score']:g}", max_score="?" if max_score is None else f"{max_score:g}"
        ),
        "caption": _("Result of each exercise"),
        "exercise": _("Exercise"),
        "result": _("Result"),
        "points": _("Points"),
        "details": _("Details"),
        "missing": _hidden(_missing_sentence(report.get("missing_solutions") or []), hide),
    }


def _missing_sentence(grade_ids):
    """The sentence naming the solution cells missing from the submission ("" for none)."""
    if not grade_ids:
        return ""
    return ngettext(
        "Solution cell missing from your submission: {grade_ids}",
        "Solution cells missing from your submission: {grade_ids}",
        len(grade_ids),
    ).format(grade_ids=", ".join(map(str, grade_ids)))


def _instructor_paths(instructors):
    """``[(path text, what replaces it)]``: each of the instructor notebook's paths (the caller's,
    the report's) as given, absolute and resolved, longest first, shown as its bare file name."""
    spellings = {}
    for instructor in filter(None, instructors):
        path = Path(instructor)
        for text in (str(instructor), str(path), str(path.absolute()), str(path.resolve())):
            spellings[text] = path.name
    return sorted(spellings.items(), key=lambda spelling: len(spelling[0]), reverse=True)


def _hidden(text, hide):
    """``text`` with every spelling of the instructor notebook's path replaced by its name."""
    for path_text, name in hide:
        text = text.replace(path_text, name)
    return text
