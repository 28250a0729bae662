"""Writing the grader's files whole: a reader, or a crash, never sees half a file."""

import os
from pathlib import Path


def write_whole(path, text, newline=None):
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it, then replace
    ``path`` in one step; ``newline`` as for ``open`` ("" keeps a CSV's own line ends). Returns
    ``path`` as a Path."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        temporary.write_text(text, encoding="utf-8", newline=newline)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
