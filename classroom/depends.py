"""Which lesson cells the exercises need, found from the names each code cell binds and reads.

Grading with ``--fast`` runs only the exercise cells (solution and check cells) and the earlier lesson cells
that bind a name they read, directly or through other needed cells. Training loops, plots and timings that
no exercise reads are skipped, which turns minutes into seconds for notebook 05.

The analysis is by name only: a cell that changes an object in place through a method call
(``net.apply(init)``, ``optimizer.step()``) binds no name and is skipped unless it also binds a needed name.
Exercise checks written to depend on their own solution cell and the lesson's definitions are unaffected;
grading the instructor notebook with ``--fast`` shows whether that holds (the tests do so for every notebook).
"""

import ast
import symtable

from IPython.core.inputtransformer2 import TransformerManager

from .release import nbgrader_flag

_to_python = TransformerManager().transform_cell  # turns %magics and !shell lines into Python calls


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


def names_bound_and_read(source):
    """``(bound, read)``: the global names a cell's code binds and reads, as sets.

    Python's own scoping (``symtable``) decides: a function's parameters and locals are not global reads.
    Assigning to an attribute or item (``net.weight = …``, ``X[0] = …``) counts as binding its root name,
    since it changes that object. Returns None when the code does not parse or star-imports, so the caller
    keeps such a cell.
    """
    code = _to_python(source)
    try:
        top = symtable.symtable(code, "<cell>", "exec")
        tree = ast.parse(code)
    except SyntaxError:
        return None
    if any(isinstance(node, ast.ImportFrom) and node.names[0].name == "*" for node in ast.walk(tree)):
        return None
    symbols = top.get_symbols()
    bound = {s.get_name() for s in symbols if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in symbols if s.is_referenced()}
    for scope in _scopes(top):
        for symbol in scope.get_symbols():
            if symbol.is_global() and symbol.is_referenced():
                read.add(symbol.get_name())
            if symbol.is_declared_global() and symbol.is_assigned():
                bound.add(symbol.get_name())
    bound.update(_base_name(node.value) for node in ast.walk(tree)
                 if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store))
    bound.discard(None)
    return bound, read


def is_exercise_cell(cell):
    """Solution and check cells: the cells that hold or test student code."""
    return nbgrader_flag(cell, "solution") or nbgrader_flag(cell, "grade")


def cells_needed_by_exercises(nb):
    """Indices of the code cells that grading ``nb`` must run: exercise cells and what they read, transitively.

    Walks the cells backwards, keeping a cell when it is an exercise cell, cannot be analysed, or binds a
    name that a kept later cell reads; each kept cell adds the names it reads.
    """
    needed_names, keep = set(), set()
    for index in reversed(range(len(nb.cells))):
        cell = nb.cells[index]
        if cell.cell_type != "code":
            continue
        names = names_bound_and_read(cell.source)
        if names is None or is_exercise_cell(cell) or names[0] & needed_names:
            keep.add(index)
            if names is not None:
                needed_names |= names[1]
    return keep
