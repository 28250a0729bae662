"""How alike two students' answers to one exercise are, robust to the cheap disguises of a copy.

An answer (the solution cells an exercise's check cell owns) is cut into statements, the logical
lines of the standard ``tokenize``, and each statement is normalised:

* comments, docstrings, whitespace, line breaks and a trailing comma before a bracket are dropped;
* every name the answer makes up (its variables, parameters, loop variables, helper functions)
  becomes a placeholder numbered by first use within the statement, so a consistent renaming
  changes nothing; keywords, attribute names (``.shape``), keyword arguments (``dim=``), and
  the builtins and names the lesson imports or defines (``torch``, ``F``, ``helpers``) that the
  answer does not bind itself stay.

Statements that also occur in the instructor's stub or in the lesson (its other code cells and
what they print, such as the helpers' source the lesson shows) are dropped: what every student
was given is not evidence, and an unanswered stub leaves nothing. The rest are sorted, so
reordering statements changes nothing either, and the two token sequences are compared with
``difflib.SequenceMatcher``. Its matching runs shorter than ``MIN_RUN`` tokens are chance (a
bracket, ``= _0 (``) and do not count. The score is the share of the shorter answer that the
remaining runs cover, matched / min(tokens of one, tokens of the other), from 0 (nothing alike)
to 1 (one found whole in the other), as JPlag's "maximum similarity": a copy padded with code of
the copier's own still scores 1, where difflib's ratio (2·matched / both lengths) would fall.
"""

import ast
import builtins
import difflib
import io
import keyword
import tokenize
from collections import Counter
from dataclasses import dataclass

import nbformat

from .exercises import check_owners, is_check_cell
from .release import ClearSolutions, grade_id, nbgrader_flag

# Shorter runs of matching tokens are chance. Measured (benchmarks/similarity_false_positives.py):
# at 2 or 3 independent answers match more, from 5 on a statement split in two costs a copy more.
MIN_RUN = 4

_IGNORED = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}
_OPENING, _CLOSING = set("([{"), set(")]}")


@dataclass(frozen=True)
class Statement:
    """One normalised statement of an answer: ``key`` (its tokens, a tuple of str), the ``cell``
    (solution grade_id) and 1-based ``line`` where it starts, and that line's ``text``."""

    key: tuple
    cell: str
    line: int
    text: str


def _tokens(lines):
    """The tokens of the source ``lines`` (each ending in a newline but the last), with rows
    counted from the first line. tokenize stops at an indentation it cannot match; the rest is
    tokenised afresh from that line, so a broken line costs at most itself."""
    start = 0
    while start < len(lines):
        reader = io.StringIO("".join(lines[start:])).readline
        try:
            for token in tokenize.generate_tokens(reader):
                yield token._replace(start=(token.start[0] + start, token.start[1]))
            return
        except tokenize.TokenError:  # an unclosed bracket at the end: its tokens were given
            return
        except SyntaxError as error:  # IndentationError: go on from the line it refused
            start += max((error.lineno or 1) - 1, 1)


def _logical_lines(lines):
    """``[[token, …], …]``: the statements of ``lines``, split at NEWLINE and at a ``;`` outside
    brackets, without comments and layout tokens."""
    statements, current, depth = [], [], 0
    for token in _tokens(lines):
        if token.type == tokenize.OP:
            depth += (token.string in _OPENING) - (token.string in _CLOSING)
        if token.type == tokenize.NEWLINE or (token.string == ";" and depth <= 0):
            statements.append(current)
            current, depth = [], 0
        elif token.type not in _IGNORED and token.string.strip():
            current.append(token)
    return [statement for statement in statements + [current] if statement]


def _string_key(text):
    """A string literal in one spelling ('a' and "a" alike), or as written when it is not a
    plain literal (an f-string)."""
    try:
        return repr(ast.literal_eval(text))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def _normalised(tokens, known):
    """The key of one statement's ``tokens``: a tuple of str, the made-up names numbered."""
    key, names, depth = [], {}, 0
    for index, token in enumerate(tokens):
        after = tokens[index + 1].string if index + 1 < len(tokens) else ""
        before = tokens[index - 1].string if index else ""
        if token.type == tokenize.OP:
            depth += (token.string in _OPENING) - (token.string in _CLOSING)
        if token.string == "," and after in _CLOSING:
            continue
        if token.type == tokenize.STRING:
            key.append(_string_key(token.string))
        elif token.type == tokenize.NAME and not (
            keyword.iskeyword(token.string)
            or token.string in known
            or before == "."
            or (depth > 0 and after == "=")
        ):
            key.append(names.setdefault(token.string, f"_{len(names)}"))
        else:
            key.append(token.string)
    return tuple(key)


def _bound_names(source):
    """The names ``source`` binds itself, a set of str: assigned, loop, ``with`` and ``except``
    targets, parameters, functions, classes and ``import … as`` aliases; empty when it does not
    parse. Such a name is the student's own even when it is a builtin's (``sum = 0``)."""
    try:
        tree = ast.parse(_code_only(source))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return set()
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias) and node.asname:
            bound.add(node.asname)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def statements(source, known, cell=""):
    """``[Statement]`` of the code ``source`` in order, docstrings and bare strings left out.

    ``known``: the names that stay as they are besides keywords (see ``known_names``), unless
    ``source`` binds them itself.
    """
    lines = io.StringIO(source).readlines()
    known = known - _bound_names(source)
    found = []
    for tokens in _logical_lines(lines):
        if all(token.type == tokenize.STRING for token in tokens):
            continue
        row = tokens[0].start[0]
        text = lines[row - 1].strip() if row <= len(lines) else ""
        found.append(Statement(_normalised(tokens, known), cell, row, text))
    return found


def _code_only(source):
    """``source`` without IPython's magic and shell lines, which ``ast`` cannot parse."""
    return "\n".join("" if line.lstrip()[:1] in ("%", "!") else line for line in source.split("\n"))


def known_names(instructor):
    """The names a normalised statement keeps: the builtins and what the instructor notebook's
    lesson cells import or define at top level (modules, functions, classes), a set of str."""
    known = set(dir(builtins))
    for cell in instructor.cells:
        if cell.cell_type != "code" or nbgrader_flag(cell, "solution"):
            continue
        try:
            tree = ast.parse(_code_only(cell.source))
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue  # a lesson cell that does not parse defines nothing we could read
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                known |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                known.add(node.name)
    return known


def _printed(cell):
    """What a lesson cell printed (its stream outputs), as one string."""
    return "".join(
        "".join(output.get("text", "")) for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )  # fmt: skip


def given_code(instructor, known):
    """The keys of every statement a student was given, a set of tuples: the stubs of the
    solution cells, and the lesson's other code cells with what they print (the lessons print
    the helpers' source)."""
    given, stub = set(), ClearSolutions()
    for index, cell in enumerate(instructor.cells):
        if cell.cell_type != "code":
            continue
        if nbgrader_flag(cell, "solution"):
            released, _ = stub.preprocess_cell(nbformat.from_dict(cell), {}, index)
            sources = [released.source]
        else:
            sources = [cell.source, _printed(cell)]
        for source in sources:
            given |= {statement.key for statement in statements(source, known)}
    return given


def exercises_of(instructor):
    """``{solution grade_id: exercise}``, the exercise being its check cell's grade_id, and the
    exercises in notebook order: ``(mapping, [exercise, …])``."""
    owners = check_owners(instructor)
    cells = instructor.cells
    mapping = {grade_id(cells[i]): exercise for i, exercise in owners.items()
               if nbgrader_flag(cells[i], "solution")}  # fmt: skip
    order = [grade_id(cell) for cell in cells if is_check_cell(cell)]
    return mapping, order


def answer(sources, exercise_cells, known, given):
    """A student's own statements for one exercise: ``[Statement]`` of the solution cells
    ``exercise_cells`` (their grade_ids, in order) from ``sources`` ({grade_id: [source, …]}),
    less those in ``given``."""
    own = []
    for cell in exercise_cells:
        for source in sources.get(cell, []):
            own += [s for s in statements(source, known, cell) if s.key not in given]
    return own


def token_count(own):
    """Tokens in the statements ``own``."""
    return sum(len(statement.key) for statement in own)


def _flattened(own):
    """The tokens of ``own`` in canonical (sorted) order, and the statement each token is from.

    Statements alike once normalised are ordered by their text, so that the report pairs
    ``if type(padding) …`` with its own twin rather than with ``if type(stride) …``.
    """
    ordered = sorted(own, key=lambda statement: (statement.key, statement.text))
    tokens, owner = [], []
    for statement in ordered:
        tokens += statement.key
        owner += [statement] * len(statement.key)
    return tokens, owner


def compare(own_a, own_b, min_run=MIN_RUN):
    """How alike two answers (``[Statement]`` each) are: ``(score, matched, lines)``.

    ``score`` in [0, 1]: ``matched`` / the shorter answer's tokens; ``matched``: tokens in
    matching runs of at least ``min_run``;
    ``lines``: ``[(statement of a, statement of b)]``, each statement of ``a`` at least half
    matched paired with the statement of ``b`` it matches most, in ``a``'s line order.
    """
    tokens_a, owner_a = _flattened(own_a)
    tokens_b, owner_b = _flattened(own_b)
    if not tokens_a or not tokens_b:
        return 0.0, 0, []
    matcher = difflib.SequenceMatcher(None, tokens_a, tokens_b, autojunk=False)
    runs = [run for run in matcher.get_matching_blocks() if run.size >= min_run]
    matched = sum(run.size for run in runs)
    overlap = Counter(
        (owner_a[run.a + k], owner_b[run.b + k]) for run in runs for k in range(run.size)
    )
    best = {}
    for (a, b), count in overlap.most_common():
        if 2 * count >= len(a.key) and a not in best:
            best[a] = b
    lines = sorted(best.items(), key=lambda pair: (pair[0].cell, pair[0].line))
    return matched / min(len(tokens_a), len(tokens_b)), matched, lines
