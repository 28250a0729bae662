"""Relative links in markdown, and moving them: a notebook written to another folder keeps links
that resolve (the learner edition, the Chinese edition)."""

import os
import posixpath
import re
from pathlib import Path

# The target of a markdown link or image `](target`, of a reference definition `[id]: target`, or
# of an HTML `src="target"` / `href="target"`; code spans and fences are left alone.
CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)
LINK_TARGET = re.compile(
    r"(?P<lead>\]\(\s*<?|^ {0,3}\[[^\]\n]+\]:[ \t]*<?|\b(?:src|href)\s*=\s*[\"'])"
    r"(?P<target>[^\s)\"'<>]+)",
    re.MULTILINE,
)
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def moved_link(target, source_dir, target_dir, lessons):
    """``target``, a relative link in a notebook of ``source_dir``, as seen from ``target_dir``.

    URLs, absolute paths and in-page anchors stay; so does a link to one of ``lessons`` (notebook
    file names) in the same folder, which leads to that lesson's copy beside it. Every other
    relative path is rewritten to reach the same file: ``../figures/x.png`` from ``notebooks/``
    becomes ``../../figures/x.png`` from ``learner/en/``.
    """
    if URL_SCHEME.match(target) or target.startswith(("#", "/")):
        return target
    path, query_or_anchor = re.fullmatch(r"([^?#]*)(.*)", target, re.DOTALL).groups()
    if not path or posixpath.normpath(path) in lessons:
        return target
    between = Path(os.path.relpath(Path(source_dir).resolve(), Path(target_dir).resolve()))
    return posixpath.normpath(posixpath.join(between.as_posix(), path)) + query_or_anchor


def with_moved_links(markdown, move):
    """``markdown`` with ``move(target)`` in place of every link target outside code."""
    pieces, codes = CODE.split(markdown), CODE.findall(markdown)
    moved = [LINK_TARGET.sub(lambda m: m["lead"] + move(m["target"]), piece) for piece in pieces]
    return "".join(text + code for text, code in zip(moved, codes + [""]))
