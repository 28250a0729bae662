"""A copying report for a class: ``python -m classroom similarity SUBMISSIONS… --instructor NB``.

Every pair of students is compared on every exercise (classroom.similarity says how two answers
are compared). A pair is flagged when its score reaches the threshold and at least
``MIN_MATCHED`` tokens of their own code match: an answer shorter than that (unanswered, the stub
alone, a one-line kernel that every correct student writes alike) is never flagged. The figures
behind both numbers are measured in benchmarks/similarity_false_positives.py.
"""

import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .batch import find_submissions
from .report import printable
from .similarity import answer, compare, exercises_of, given_code, known_names, token_count
from .submission import read_submission, solution_sources
from .words import _, ngettext, notebook_language, speaking

# Measured on the benchmark's class: disguised copies scored 0.91 to 1.00 (a padded one too);
# independent answers matching 40 tokens or more at most 0.49, one-line kernels at most 0.94.
THRESHOLD = 0.8
# Matching tokens of own code needed: one-line answers (a kernel) are alike when honest too
# (independent pairs scoring 0.5 or more matched at most 31 tokens); a loop copied is 40 or more.
MIN_MATCHED = 40
# An answer this long is no exercise of the series (the longest instructor solution has 137 own
# tokens in 918 characters), and comparing it would take quadratic time: a note names it instead.
# The characters are counted before tokenising, so a crafted megabyte answer costs nothing.
MAX_CHARACTERS = 100_000
MAX_TOKENS = 5000
EXIT_NONE_FLAGGED, EXIT_FLAGGED = 0, 1


@dataclass
class Flagged:
    """Two students' answers to one exercise that are too alike: ``lines`` holds
    ``[(Statement of a, Statement of b)]`` (classroom.similarity.Statement)."""

    a: str
    b: str
    grade_id: str
    score: float
    matched: int
    own_tokens: tuple
    lines: list

    def to_dict(self):
        """The JSON form: a, b, grade_id, score, matched_tokens, own_tokens ([of a, of b]) and
        the matching lines."""
        return {
            "a": self.a,
            "b": self.b,
            "grade_id": self.grade_id,
            "score": round(self.score, 3),
            "matched_tokens": self.matched,
            "own_tokens": list(self.own_tokens),
            "lines": [{"a": _place(a), "b": _place(b)} for a, b in self.lines],
        }


def _place(statement):
    return {"cell": statement.cell, "line": statement.line, "text": printable(statement.text, 200)}


def check_threshold(threshold):
    """``threshold`` as a float in (0, 1]; TypeError or ValueError otherwise."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise TypeError(f"threshold must be a number, got {type(threshold).__name__}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    return float(threshold)


def class_answers(submissions, instructor):
    """Each student's own code per exercise: ``({student: {exercise: [Statement]}}, notes)``.

    ``submissions``: ``[(student, path)]``; ``instructor``: the instructor NotebookNode. A
    submission that cannot be read, or an answer over ``MAX_CHARACTERS`` characters or
    ``MAX_TOKENS`` tokens, is left out with a note (a str) saying so.
    """
    known = known_names(instructor)
    given = given_code(instructor, known)
    cells_of, order = exercises_of(instructor)
    exercises = {exercise: [cell for cell, owner in cells_of.items() if owner == exercise]
                 for exercise in order}  # fmt: skip
    answers, notes = {}, []
    for student, path in submissions:
        try:
            notebook, reason = read_submission(path)
        except OSError as error:
            notebook, reason = None, printable(str(error), 200)
        if notebook is None:
            notes.append(
                _("{student}: not compared: {reason}").format(student=student, reason=reason)
            )
            continue
        sources, answers[student] = solution_sources(notebook), {}
        for exercise, cells in exercises.items():
            own, too_long = _own_code(sources, cells, known, given)
            if too_long:
                notes.append(
                    _("{student}, {exercise}: {reason}").format(
                        student=student, exercise=exercise, reason=too_long
                    )
                )
            else:
                answers[student][exercise] = own
    return answers, notes


def _own_code(sources, cells, known, given):
    """``(statements, "")`` of one student's answer made of ``cells``, or ``(None, why not)``
    when it is too long to compare."""
    size = sum(len(source) for cell in cells for source in sources.get(cell, []))
    if size > MAX_CHARACTERS:
        return None, _("not compared: {size} characters, more than {limit}").format(
            size=size, limit=MAX_CHARACTERS
        )
    own = answer(sources, cells, known, given)
    if token_count(own) > MAX_TOKENS:
        return None, _("not compared: {tokens} tokens, more than {limit}").format(
            tokens=token_count(own), limit=MAX_TOKENS
        )
    return own, ""


def flagged_pairs(answers, order, threshold=THRESHOLD):
    """``[Flagged]`` of ``answers`` ({student: {exercise: [Statement]}}), exercise by exercise
    in ``order``, the highest score first."""
    flagged = []
    for exercise in order:
        own = {student: by_exercise[exercise] for student, by_exercise in answers.items()
               if token_count(by_exercise.get(exercise, [])) >= MIN_MATCHED}  # fmt: skip
        for a, b in itertools.combinations(sorted(own), 2):
            score, matched, lines = compare(own[a], own[b])
            if score >= threshold and matched >= MIN_MATCHED:
                sizes = (token_count(own[a]), token_count(own[b]))
                flagged.append(Flagged(a, b, exercise, score, matched, sizes, lines))
    rank = {exercise: index for index, exercise in enumerate(order)}
    return sorted(flagged, key=lambda pair: (rank[pair.grade_id], -pair.score, pair.a, pair.b))


def find_copying(sources, instructor_path, threshold=THRESHOLD):
    """Compare a class: ``(flagged, notes, students compared)``.

    ``sources``: notebooks, globs or a folder of student folders, as for ``grade``.
    """
    threshold = check_threshold(threshold)
    instructor = nbformat.read(instructor_path, as_version=4)
    submissions = find_submissions(sources, Path(instructor_path).name)
    answers, notes = class_answers(submissions, instructor)
    return flagged_pairs(answers, exercises_of(instructor)[1], threshold), notes, len(answers)


def _line(student, statement):
    return _("{student} line {line}: {text}").format(
        student=student, line=statement.line, text=printable(statement.text, 120)
    )


def format_copying(flagged, notes, students, threshold=THRESHOLD):
    """The text report: what was compared, each flagged pair with its matching lines, the
    notes, and how many pairs were flagged."""
    out = [
        ngettext("{count} student compared, exercise by exercise",
                 "{count} students compared, exercise by exercise", students
        ).format(count=students),
        _("flagged: a score of at least {threshold:.2f} with at least {tokens} matching tokens")
        .format(threshold=threshold, tokens=MIN_MATCHED),
    ]  # fmt: skip
    for pair in flagged:
        out.append(
            _(
                "{exercise}: {a} and {b}, score {score:.2f}, "
                "{tokens} matching tokens of {tokens_a} and {tokens_b}"
            ).format(
                exercise=pair.grade_id,
                a=pair.a,
                b=pair.b,
                score=pair.score,
                tokens=pair.matched,
                tokens_a=pair.own_tokens[0],
                tokens_b=pair.own_tokens[1],
            )
        )
        for a, b in pair.lines:
            out += ["    " + _line(pair.a, a), "    " + _line(pair.b, b)]
    out += notes
    out.append(
        ngettext("{count} pair flagged", "{count} pairs flagged", len(flagged)).format(
            count=len(flagged)
        )
    )
    return "\n".join(out)


def _encodable(text):
    """``text`` whole, with what UTF-8 cannot encode replaced by "?": a student folder whose
    name is not UTF-8 becomes a lone surrogate in Python, which print would refuse."""
    return printable(text, limit=len(text))


def similarity_command(sources, instructor_path, as_json=False, threshold=THRESHOLD):
    """Run ``classroom similarity``: print the report (JSON: ``{"flagged": […]}`` on stdout, the
    notes on stderr); return 0 when nothing is flagged, 1 otherwise."""
    instructor = nbformat.read(instructor_path, as_version=4)
    with speaking(notebook_language(instructor, instructor_path)):
        flagged, notes, students = find_copying(sources, instructor_path, threshold)
        if as_json:
            print(json.dumps({"flagged": [pair.to_dict() for pair in flagged]}, indent=2))
            for note in notes:
                print(_encodable(note), file=sys.stderr)
        else:
            print(_encodable(format_copying(flagged, notes, students, check_threshold(threshold))))
    return EXIT_FLAGGED if flagged else EXIT_NONE_FLAGGED
