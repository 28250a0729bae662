"""Which lesson cells the exercises need, found from the names each code cell binds and reads.

Grading with ``--fast`` runs only the exercise cells (solution and check cells) and the earlier
lesson cells that bind a name they read, directly or through other needed cells. Training loops,
plots and timings that no exercise reads are skipped, which turns minutes into seconds for
notebook 05.

The analysis is by name only: a cell that changes an object in place through a method call
(``net.apply(init)``, ``optimizer.step()``) binds no name and is skipped unless it also binds a
needed name. Exercise checks written to depend on their own solution cell and the lesson's
definitions are unaffected; grading the instructor notebook with ``--fast`` shows whether that
holds (the tests do so for every notebook).
"""

import ast
import functools
import symtable

from IPython.core.inputtransformer2 import TransformerManager

from .release import nbgrader_flag

# Turns %magics and !shell lines into Python calls.
to_python = TransformerManager().transform_cell


def _base_name(node):
    """The variable at the root of ``a.b[c].d``, or None for an expression that has none."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _scopes(table):
    """The nested scopes (functions, classes, lambdas, comprehensions) below a symbol table."""
    for child in table.get_children():
        yield child
        yield from _scopes(child)


def _statement_names(statement):
    """``(bound, read)``: the global names one simple statement (or expression) binds and reads.

    Both are sets. Python's own scoping (``symtable``) decides, so a function's parameters and
    locals are not global reads. Assigning to an attribute or item (``net.weight = …``,
    ``X[0] = …``) counts as binding its root name, since it changes that object.
    """
    top = symtable.symtable(ast.unparse(statement), "<cell>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    for scope in _scopes(top):
        for symbol in scope.get_symbols():
            if symbol.is_global() and symbol.is_referenced():
                read.add(symbol.get_name())
            if symbol.is_declared_global() and symbol.is_assigned():
                bound.add(symbol.get_name())
    bound.update(
        _base_name(node.value)
        for node in ast.walk(statement)
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store)
    )
    bound.discard(None)
    return bound, read


def _targets(node):
    """Names bound by an assignment target such as ``i`` or ``(name, layer)``."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _reads(expression):
    """Global names an expression reads."""
    return _statement_names(ast.Expr(expression))[1]


def _scan(statements, available, bound, read):
    """Walk ``statements`` in order, noting what they bind and what they read first.

    What they bind is added to ``bound``, and what they read before binding it to ``read``.
    ``available``: names bound on every path so far; a read of one needs no earlier cell. Bodies
    that may not run (if/for/while/try) see a copy, so their bindings stay local to them; a
    ``with`` body always runs.
    """
    for statement in statements:
        if isinstance(statement, (ast.For, ast.AsyncFor)):
            read |= _reads(statement.iter) - available
            bound |= _targets(statement.target)
            _scan(statement.body, available | _targets(statement.target), bound, read)
            _scan(statement.orelse, set(available), bound, read)
        elif isinstance(statement, (ast.While, ast.If)):
            read |= _reads(statement.test) - available
            _scan(statement.body, set(available), bound, read)
            _scan(statement.orelse, set(available), bound, read)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                read |= _reads(item.context_expr) - available
                bound |= _targets(item.optional_vars)
                available |= _targets(item.optional_vars)
            _scan(statement.body, available, bound, read)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                _scan(block, set(available), bound, read)
            for handler in statement.handlers:
                read |= (_reads(handler.type) if handler.type else set()) - available
                _scan(
                    handler.body,
                    available | ({handler.name} if handler.name else set()),
                    bound,
                    read,
                )
        else:
            statement_bound, statement_read = _statement_names(statement)
            read |= statement_read - available
            bound |= statement_bound
            available |= statement_bound


@functools.lru_cache(maxsize=1024)  # the exercise model asks again for every exercise
def names_bound_and_read(source):
    """``(bound, read)``: the global names a cell binds, and those it reads before binding them.

    A name the cell reads only after binding it on every path (``X = …`` then ``f(X)``, or a loop
    variable inside its loop) needs no earlier cell. Returns None when the code does not parse
    (or is too deep to analyse) or star-imports, so the caller keeps such a cell.
    """
    try:
        tree = ast.parse(to_python(source))
        if any(
            isinstance(node, ast.ImportFrom) and node.names[0].name == "*"
            for node in ast.walk(tree)
        ):
            return None
        bound, read = set(), set()
        _scan(tree.body, set(), bound, read)
        bound, read = frozenset(bound), frozenset(read)
    # A huge or deeply nested expression (a submission's) exhausts the parser or the scan.
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return bound, read


def is_exercise_cell(cell):
    """Solution and check cells: the cells that hold or test student code."""
    return nbgrader_flag(cell, "solution") or nbgrader_flag(cell, "grade")


def cells_needed_by_exercises(nb):
    """Indices of the code cells that grading ``nb`` must run.

    That is the exercise cells and what they read, transitively (``cells_needed_by``).
    """
    exercise_cells = {i for i, cell in enumerate(nb.cells) if is_exercise_cell(cell)}
    return cells_needed_by(nb, exercise_cells)


def cells_needed_by(nb, targets):
    """``targets`` (code cell indices) and the earlier code cells they read from, transitively.

    Walks the cells backwards, keeping a cell when it is a target, cannot be analysed, or binds a
    name that a kept later cell reads; each kept cell adds the names it reads.
    """
    needed_names, keep = set(), set()
    for index in reversed(range(max(targets, default=-1) + 1)):
        cell = nb.cells[index]
        if cell.cell_type != "code":
            continue
        names = names_bound_and_read(cell.source)
        if names is None or index in targets or names[0] & needed_names:
            keep.add(index)
            if names is not None:
                needed_names |= names[1]
    return keep
