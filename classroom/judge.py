"""The verdicts, computed where the student cannot reach: in the grading process itself.

Once the student's kernel has run the lesson, the solutions and the visible checks, the judge runs
the instructor's code (the lesson cells the exercises read, then each whole check cell, hidden
tests included) in a namespace of its own. Each name an instructor's solution defines is bound
there to a proxy that calls the student's function in the student's kernel through a narrow
channel (classroom.channel): arguments in, plain data back (classroom.plain). So the expected
values, reference functions and comparisons are the judge's, and nothing a student does to torch,
IPython or the kernel can change them; the student's kernel never holds a hidden test.

Hidden tests draw fresh inputs at every grading: each literal seed they pass to ``manual_seed`` is
replaced by one drawn from a secret the kernel never sees, and torch's global generator is seeded
from it where each hidden region begins. A failed visible check reports its message, as in the
student's notebook; a failed hidden test says only that one failed.
"""

import ast
import contextlib
import os
import secrets
import traceback
from time import monotonic

import torch

from convlab.language import speaking

from .channel import KernelLost, StudentError
from .depends import names_bound_and_read, to_python
from .exercises import exercises
from .report import printable
from .words import _

SEED_BITS = 62


class _StudentFunction:
    """Stands in the judge's namespace for a function the student defined."""

    def __init__(self, kernel, name):
        self.kernel, self.name, self.__name__ = kernel, name, name

    def __call__(self, *args, **kwargs):
        return self.kernel.call(self.name, args, kwargs)


class _FreshSeeds(ast.NodeTransformer):
    """Replaces the literal seed of each ``manual_seed(n)`` call on the ``lines`` given."""

    def __init__(self, lines, secret):
        self.lines, self.secret = lines, secret

    def visit_Call(self, node):
        self.generic_visit(node)
        name = getattr(node.func, "attr", getattr(node.func, "id", None))
        literal = len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
        if name == "manual_seed" and literal and node.lineno in self.lines:
            seed = (self.secret + hash(node.args[0].value)) % 2**SEED_BITS
            node.args[0] = ast.copy_location(ast.Constant(seed), node.args[0])
        return node


def _check_code(cell, exercise, secret):
    """The check cell's code for the judge, and the (1-based) line numbers of its hidden tests."""
    hidden = exercise.hidden_lines
    lines = cell.source.split("\n")
    seeded = list(lines)
    for start, _stop in exercise.hidden_regions:  # the marker comment becomes a seeding
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        seeded[start] = f"{indent}__import__('torch').manual_seed({secret % 2**SEED_BITS})"
    name = f"<{exercise.grade_id}>"
    try:
        tree = ast.parse("\n".join(seeded), name)
    except SyntaxError:  # a marker at an indentation no statement may take: no global seeding
        tree = ast.parse(cell.source, name)
    return compile(_FreshSeeds(hidden, secret).visit(tree), name, "exec"), hidden


def _failure(error, name, hidden):
    """What a failed check reports: the error, unless it was raised by a hidden test."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == name]
    if frames and frames[-1].lineno in hidden:
        return _("a hidden test failed")
    if isinstance(error, StudentError):
        return str(error)
    text = str(error).strip().split("\n")[0]
    return printable(f"{type(error).__name__}: {text}" if text else type(error).__name__, 400)


class Judge:
    """Judges the exercises of ``instructor`` (the notebook) for one grading.

    ``cell_timeout``: seconds the student's functions may take in total for each check;
    ``language``: the edition's, which the instructor's code speaks as in the student's kernel.
    """

    def __init__(self, instructor, cell_timeout, language="en"):
        self.instructor = instructor
        self.cell_timeout, self.language = cell_timeout, language
        self.secret = secrets.randbits(SEED_BITS)
        self.exercises = exercises(instructor)
        self.needed = set().union(*(exercise.needs for exercise in self.exercises))
        self.owners = {index: exercise for exercise in self.exercises
                       for index in (*exercise.solutions, exercise.check)}  # fmt: skip

    def judge(self, kernel, wanted):
        """``({check grade_id: None or a failure message}, lost)`` for the checks in ``wanted``.

        ``kernel``: a classroom.channel.StudentKernel. ``lost`` is ``(grade_id, hung)`` when the
        kernel died (or hung) in that exercise (grade_id None: in a lesson cell); the checks after
        it are not judged.
        """
        verdicts, namespace = {}, {"__name__": "__main__"}
        sink = open(os.devnull, "w")
        with sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            with torch.random.fork_rng(devices=[]), speaking(self.language):
                for index, cell in enumerate(self.instructor.cells):
                    exercise = self.owners.get(index)
                    if cell.cell_type != "code" or (exercise is None and index not in self.needed):
                        continue
                    kernel.deadline = monotonic() + self.cell_timeout
                    try:
                        if exercise is None:
                            self._lesson_cell(cell, index, namespace)
                        elif index != exercise.check:
                            self._bind_solution(cell, kernel, namespace)
                        elif exercise.grade_id in wanted:
                            verdict = self._check(cell, exercise, kernel, namespace)
                            verdicts[exercise.grade_id] = verdict
                    except KernelLost as lost:
                        return verdicts, (exercise and exercise.grade_id, lost.hung)
        return verdicts, None

    def _lesson_cell(self, cell, index, namespace):
        """Run a lesson cell; its errors (a student function it calls may fail) are ignored,
        as the kernel ignores them."""
        try:
            exec(compile(to_python(cell.source), f"<lesson cell {index}>", "exec"), namespace)
        except KernelLost:
            raise
        except Exception:
            pass

    def _bind_solution(self, cell, kernel, namespace):
        """Bind what the instructor's solution defines: its functions as proxies of the
        student's, its imports as they are, any other name as the student's value of it."""
        tree = ast.parse(cell.source)
        functions = {
            node.name
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], []), "<solution imports>", "exec"), namespace)
        bound, _read = names_bound_and_read(cell.source)
        for name in sorted(bound):
            if name in functions:
                namespace[name] = _StudentFunction(kernel, name)
            elif not _is_import(tree, name):
                try:
                    namespace[name] = kernel.value(name)
                except StudentError:
                    namespace.pop(name, None)

    def _check(self, cell, exercise, kernel, namespace):
        """None when the whole check passes, else what failed."""
        code, hidden = _check_code(cell, exercise, self.secret)
        try:
            exec(code, namespace)
        except KernelLost:
            raise
        except Exception as error:  # any failure of a check fails the exercise
            return _failure(error, code.co_filename, hidden)
        return None


def _is_import(tree, name):
    """Whether ``name`` is bound by an import at the top of ``tree``."""
    return any(
        (alias.asname or alias.name).split(".")[0] == name
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    )


def rule_notes(instructor, submission_solutions):
    """Notes for the instructor's review: a solution that mentions what its check forbids.

    ``submission_solutions``: ``{check grade_id: the student's solution source}``. A check forbids
    a function by calling it in ``helpers.without("torch.nn.functional.conv2d", …)``; that cannot
    be enforced in the student's process, so the source is searched for the function's name.
    """
    notes = []
    for exercise in exercises(instructor):
        cell = instructor.cells[exercise.check]
        used = _names_used(submission_solutions.get(exercise.grade_id, ""))
        for forbidden in _forbidden(cell.source):
            if _telltale(forbidden) in used:
                notes.append(
                    _("{exercise}: the solution mentions {name}, which the exercise asks not to "
                      "use: review it").format(exercise=exercise.grade_id, name=forbidden)
                )  # fmt: skip
    return notes


def _forbidden(check_source):
    """The dotted names ``helpers.without(...)`` calls in a check's source forbid, in order."""
    found = []
    for node in ast.walk(ast.parse(check_source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "without":
            for argument in node.args:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found += [argument.value] if argument.value not in found else []
    return found


def _telltale(dotted):
    """The name a solution using ``dotted`` must mention: its last part, or for a method
    (``torch.optim.SGD.step``) its class, since ``step`` is a common word."""
    parts = dotted.split(".")
    return parts[-2] if len(parts) > 2 and parts[-2][:1].isupper() else parts[-1]


def _names_used(source):
    """Every identifier, attribute and imported name in ``source`` (empty if it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # a crafted cell
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):  # from torch.nn.functional import conv2d as c
            names.update(node.name.split("."))
    return names
