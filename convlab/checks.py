"""What the exercises' check cells use, so that a learner reads checks, not test machinery.

* ``without("torch.nn.functional.unfold", "helpers.corr2d")``: inside the ``with`` block a call to
  any of the named functions fails the check with one line naming it (an exercise that asks for a
  computation "by hand" must not hand it to the library).
* ``show_failed_checks_in_one_line(shell)``: an ``AssertionError`` raised by a check cell's own
  ``assert`` shows as one line ("AssertionError: expected shape (4, 4), got (3, 3)") instead of a
  traceback ending in that line; any other error, and an assertion raised inside the learner's own
  functions, keeps its full traceback. ``import helpers`` installs it in an IPython kernel. The
  cell still fails (an ``error`` output), so nbval, ``classroom grade`` and nbgrader see a failed
  check.
"""

import contextlib
import importlib
from unittest import mock  # kept here, out of the check cells a learner reads

from convlab.language import _


def _owner_and_attribute(name):
    """The object holding the function ``name`` ("package.module.function"), and its attribute."""
    if not isinstance(name, str):
        raise TypeError(
            _("each name must be a str like 'helpers.corr2d', got {type}").format(
                type=type(name).__name__
            )
        )
    parts = name.split(".")
    if len(parts) < 2 or not all(part.isidentifier() for part in parts):
        raise ValueError(
            _("each name must be dotted like 'helpers.corr2d', got {name!r}").format(name=name)
        )
    for split in range(len(parts) - 1, 0, -1):  # the longest importable module prefix
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:-1]:
            owner = getattr(owner, part)
        if not callable(getattr(owner, parts[-1], None)):
            raise ValueError(_("{name!r} is not a function that can be called").format(name=name))
        return owner, parts[-1]
    raise ValueError(_("{name!r} names no importable module").format(name=name))


class CheckFailed(AssertionError):
    """A failed check: always shown as one line, wherever it was raised."""


def _refusal(name):
    def refuse(*args, **kwargs):
        raise CheckFailed(
            _("this exercise must be solved without {name}: do it by hand").format(name=name)
        )

    return refuse


@contextlib.contextmanager
def without(*names):
    """Within the block, calling any function in ``names`` (dotted, e.g. "helpers.corr2d") fails."""
    if not names:
        raise ValueError(_("without needs at least one function name, got none"))
    targets = [(name, *_owner_and_attribute(name)) for name in names]
    with contextlib.ExitStack() as stack:
        for name, owner, attribute in targets:
            stack.enter_context(mock.patch.object(owner, attribute, _refusal(name)))
        yield


def _raised_by_the_cell_itself(shell, tb):
    """True when the innermost frame of ``tb`` is a cell's top-level code, not a function."""
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    return frame.f_code.co_name == "<module>" and frame.f_globals is shell.user_ns


def _one_line_for_checks(shell, etype, value, tb, tb_offset=None):
    if isinstance(value, CheckFailed) or _raised_by_the_cell_itself(shell, tb):
        # IPython's own exception_only adds a line pointing to %tb; the check's line is enough
        shell._showtraceback(etype, value, shell.InteractiveTB.get_exception_only(etype, value))
    else:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def show_failed_checks_in_one_line(shell):
    """Make a failed ``assert`` of a cell's own code print as one line in IPython ``shell``."""
    shell.set_custom_exc((AssertionError,), _one_line_for_checks)
