"""Tamper evidence: fingerprints of what check cells rely on, taken in the kernel, compared outside.

The grader puts a *guard cell* before every solution cell, before every check cell and after every
check cell. A guard cell prints one line: a fresh random nonce followed by a JSON fingerprint of

* IPython's input transformers, AST transformers, compiler, event callbacks and the classes (and
  instance overrides) of the shell and kernel that execute cells;
* every function, class and submodule of ``builtins``, ``torch``, ``torch.nn``,
  ``torch.nn.functional``, ``helpers`` and the other modules the checks use, the method tables of
  ``torch.Tensor`` and of every ``nn.Module`` class, and the ``sys.modules`` entries of them all;
* tracing and profiling hooks, torch function/dispatch modes, import hooks, the standard streams;
* the user-namespace names the next check reads (its data, the modules it calls through, builtins
  a solution could shadow).

Fingerprints are object identities (and a tensor's in-place version counter), so they say *that*
something was replaced, never what it does. The comparison happens in the grader's process, which
student code cannot reach: between two guards around student code (a solution cell, or a check
cell calling student functions) nothing may change; between guards around lesson cells anything
may. A guard that prints no line with its nonce counts as tampering too, since only replaced
execution machinery (or a killed stream) makes it fall silent.

This catches the tricks students share. It does not stop a determined attacker with arbitrary
code in the kernel (one who forges the guard's output from its source, say): grade untrusted
work in a container.
"""

import json
import secrets

import nbformat
from nbformat.v4 import new_code_cell

from .exercises import GUARD_KEY, check_owners, is_check_cell

# Modules whose public callables the checks use; a name missing from the kernel is skipped.
WATCHED_MODULES = (
    "builtins",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch._C._nn",
    "torch._C._VariableFunctions",
    "torch.utils.flop_counter",
    "helpers",
    "math",
    "itertools",
    "copy",
    "inspect",
    "unittest.mock",
    "numpy",
    "sys",
    "json",
)

# ipykernel sets these anew for every cell it runs, and sys.last_* follow each error; a check
# relies on none of them.
VOLATILE = (
    "builtins.input",
    "builtins.getpass",
    "sys.excepthook",
    "sys.last_type",
    "sys.last_value",
    "sys.last_traceback",
    "sys.last_exc",
)

# Runs in the kernel inside ``exec(…, {})``, so it leaves no name behind; it only reads.
_GUARD_BODY = r"""
def _fingerprint(watched_modules, user_names, volatile):
    import sys, threading, types
    from IPython import get_ipython

    found = {}

    def note(key, value):
        if key in volatile:
            return
        found[key] = str(id(value))
        if isinstance(value, types.FunctionType):  # code or defaults swapped in place
            found[key] += f":{id(value.__code__)}:{id(value.__defaults__)}"
        if type(value).__name__ in ("Tensor", "Parameter"):  # a tensor changed in place
            found[key] += f":v{value._version}"

    def note_table(prefix, table):
        for name, value in list(table.items()):
            if callable(value) or isinstance(value, (types.ModuleType, property, classmethod,
                                                     staticmethod)):
                note(f"{prefix}.{name}", value)

    for name in watched_modules:
        module = sys.modules.get(name)
        if module is None:
            continue
        note(f"sys.modules[{name!r}]", module)
        note_table(name, vars(module))
    classes = []
    torch = sys.modules.get("torch")
    if torch is not None:
        classes += [torch.Tensor, torch._C.TensorBase, torch.Generator, torch.nn.Module]
        classes += [c for c in vars(torch.nn).values()
                    if isinstance(c, type) and issubclass(c, torch.nn.Module)]
        try:
            from torch.overrides import _get_current_function_mode_stack
            from torch.utils._python_dispatch import _get_current_dispatch_mode_stack
            for key, stack in (("torch.function_modes", _get_current_function_mode_stack),
                               ("torch.dispatch_modes", _get_current_dispatch_mode_stack)):
                found[key] = repr([id(mode) for mode in stack()])
        except ImportError:
            pass
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    for owner in (shell, shell.compile, shell.input_transformer_manager, kernel):
        if owner is None:
            continue
        classes += list(type(owner).__mro__)
        found[f"instance-overrides.{type(owner).__name__}"] = repr(sorted(
            (name, id(value)) for name, value in vars(owner).items()
            if callable(value) and hasattr(type(owner), name)))
    for cls in classes:
        if cls is not object:
            note_table(f"class {cls.__module__}.{cls.__qualname__}", vars(cls))
    manager = shell.input_transformer_manager
    for key, value in {
        "ipython.shell": shell,
        "ipython.compile": shell.compile,
        "ipython.input_transformer_manager": manager,
    }.items():
        note(key, value)
    for key, items in {
        "ipython.input_transformers_cleanup": shell.input_transformers_cleanup,
        "ipython.input_transformers_post": shell.input_transformers_post,
        "ipython.ast_transformers": shell.ast_transformers,
        "ipython.manager.cleanup_transforms": manager.cleanup_transforms,
        "ipython.manager.line_transforms": manager.line_transforms,
        "ipython.manager.token_transformers": manager.token_transformers,
        "sys.meta_path": sys.meta_path,
        "sys.path_hooks": sys.path_hooks,
    }.items():
        found[key] = repr([id(item) for item in items])
    for event, callbacks in shell.events.callbacks.items():
        found[f"ipython.events.{event}"] = repr([id(c) for c in callbacks])
    for key, value in {
        "sys.gettrace()": sys.gettrace(),
        "sys.getprofile()": sys.getprofile(),
        "threading.gettrace()": threading.gettrace(),
        "threading.getprofile()": threading.getprofile(),
        "sys.stdout": sys.stdout,
        "sys.stderr": sys.stderr,
        "sys.displayhook": sys.displayhook,
        "sys.excepthook": sys.excepthook,
    }.items():
        if key not in volatile:
                found[key] = "None" if value is None else str(id(value))
    try:
        import resource
        found["resource.RLIMIT_AS"] = repr(resource.getrlimit(resource.RLIMIT_AS))
    except ImportError:  # Windows
        pass
    user_ns = shell.user_ns
    for name, value in list(user_ns.items()):
        if isinstance(value, types.ModuleType):
            note(f"user.{name}", value)
    for name in user_names:
        if name in user_ns:
            note(f"user.{name}", user_ns[name])
        else:
            found[f"user.{name}"] = "absent"
    return found
"""


def guard_source(user_names=()):
    """``(source, nonce)``: a guard cell's code and the nonce its output line starts with.

    ``user_names``: names in the user namespace to fingerprint besides the modules bound there.
    """
    if isinstance(user_names, str) or not all(isinstance(n, str) for n in user_names):
        raise TypeError(f"user_names must be an iterable of str, got {user_names!r}")
    nonce = f"classroom-guard-{secrets.token_hex(16)}:"
    program = (
        _GUARD_BODY
        + f"print({nonce!r} + __import__('json').dumps("
        + f"_fingerprint({list(WATCHED_MODULES)!r}, {sorted(user_names)!r}, "
        + f"{sorted(VOLATILE)!r})))\n"
    )
    return f"exec({program!r}, {{}})", nonce


def read_fingerprint(outputs, nonce):
    """The fingerprint dict a guard cell printed, or None when no output line bears its nonce."""
    for output in outputs:
        if output.get("output_type") != "stream" or output.get("name") != "stdout":
            continue
        for line in output.get("text", "").splitlines():
            if line.startswith(nonce):
                try:
                    found = json.loads(line[len(nonce) :])
                except ValueError:
                    return None
                return found if isinstance(found, dict) else None
    return None


def changes(before, after, user_too):
    """What differs from ``before`` to ``after`` (fingerprint dicts), as sorted readable strings.

    Entries that appear are allowed (a solution may import modules or define helpers), except in
    a class's attribute table, where they override what the class inherited; the
    user-namespace names a check reads are in every fingerprint, bound or "absent".
    ``user_too``: whether to compare ``user.*`` entries (not across a check cell, which binds its
    own names).
    """
    # A class attribute that appears overrides an inherited one (Tensor.__eq__ over TensorBase's).
    found = [f"{key} added" for key in after if key.startswith("class ") and key not in before]
    for key, value in before.items():
        if key.startswith("user.") and not user_too:
            continue
        if key not in after:
            found.append(f"{_readable(key)} removed")
        elif after[key] != value:
            found.append(f"{_readable(key)} replaced")
    return sorted(found)


def _readable(key):
    """A fingerprint key as a report shows it: ``user.X`` → ``X (user namespace)``."""
    return f"{key[5:]} (user namespace)" if key.startswith("user.") else key


def _guard_cell(exercise, watch):
    """A guard cell (see classroom.guard) on behalf of check ``exercise``."""
    source, nonce = guard_source(watch)
    return new_code_cell(source, metadata={GUARD_KEY: {"nonce": nonce, "exercise": exercise}})


def _memory_limit_cell(gib):
    """A first cell capping the kernel's address space at its current size plus ``gib`` GiB."""
    source = (
        "def _cap():\n"
        "    try:  # Linux; elsewhere (no resource module or /proc) there is no cap\n"
        "        import resource\n"
        "        with open('/proc/self/statm') as statm:\n"
        "            size = int(statm.read().split()[0]) * resource.getpagesize()\n"
        f"        cap = size + int({gib!r} * 2**30)\n"
        "        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        "    except (ImportError, OSError, ValueError):\n"
        "        pass\n"
        "_cap()\n"
        "del _cap"
    )
    return new_code_cell(source, metadata={GUARD_KEY: {"setup": True}})


# ipykernel sends what a cell printed in the last 0.2 s as one message, so a print loop makes
# messages of hundreds of MB. After this cell its streams send each MiB as it comes. (Not by
# wrapping write: IPython puts each cell's own write back on the stream when the cell ends.)
_FLUSH_EVERY_MIB = """def _flush_every_mib(stream_class):
    schedule = stream_class._schedule_flush
    def schedule_or_flush(self):
        if sum(buffer.tell() for buffer in list(self._buffers.values())) < 2**20:
            return schedule(self)
        return self.flush()
    stream_class._schedule_flush = schedule_or_flush
import sys
_flush_every_mib(type(sys.stdout))
del _flush_every_mib"""


def with_guards(nb, watch, memory_limit_gib):
    """A copy of ``nb`` with guard cells around its student code, the memory cap and the streams'
    flushing (_FLUSH_EVERY_MIB).

    A guard goes before each solution cell and before and after each check cell; the cap goes
    before the first exercise, once the lesson has imported what it needs. ``watch``:
    ``{check grade_id: user-namespace names to fingerprint}``.
    """
    guarded = nbformat.from_dict(nb)
    owners = check_owners(nb)
    cells = []
    for index, cell in enumerate(nb.cells):
        owner = owners.get(index)
        if index == min(owners, default=None):
            cells.append(_memory_limit_cell(memory_limit_gib))
            cells.append(new_code_cell(_FLUSH_EVERY_MIB, metadata={GUARD_KEY: {"setup": True}}))
        if owner is not None:
            cells.append(_guard_cell(owner, watch.get(owner, set())))
        cells.append(guarded.cells[index])
        if is_check_cell(cell):
            cells.append(_guard_cell(owner, watch.get(owner, set())))
    guarded.cells = cells
    return guarded
