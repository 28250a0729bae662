"""Build the series' static site under build/site/ (`make site`; `python site/build.py --help`).

Nothing is executed: the pages show the committed learner edition (learner/en/, learner/zh/) as
it ran. Each language is its own Sphinx build (site/conf.py) of a staging folder,
build/site-src/<lang>/, that holds the landing page site/<lang>/index.md and the learner
notebooks copied unchanged into lessons/. The lessons' figures go to build/site-src/figures/,
where the notebooks' links (../../figures/...) find them. The result: build/site/en/,
build/site/zh/ and build/site/index.html, where a reader chooses the language. Any Sphinx warning
(a missing picture, a broken link) fails the build, and so does a lesson cell that never ran (a
Chinese cell whose code changed is left unrun until `make zh` runs it): its page would show the code
without its output.
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from sphinx.cmd.build import build_main

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
LANGUAGES = {"en": "en", "zh": "zh_CN"}  # the editions' folder → Sphinx's language


def cells_not_run(notebook):
    """Indices of the cells of ``notebook`` (a notebook's JSON) that hold code but never ran. The
    exercises' cells (nbgrader's) are left out: the learner edition clears them on purpose."""
    return [
        index
        for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code"
        and "".join(cell["source"]).strip()
        and cell.get("execution_count") is None
        and "nbgrader" not in cell["metadata"]
    ]


def unrun_lessons():
    """A line per learner notebook with cells that never ran, naming them."""
    lines = []
    for folder in LANGUAGES:
        for notebook in sorted((ROOT / "learner" / folder).glob("*.ipynb")):
            unrun = cells_not_run(json.loads(notebook.read_text(encoding="utf-8")))
            if unrun:
                cells = ", ".join(map(str, unrun))
                lines.append(f"{notebook.relative_to(ROOT)}: cells {cells} never ran")
    return lines


def stage(staging):
    """Fill ``staging`` with each language's sources and the lessons' figures."""
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(ROOT / "figures", staging / "figures", ignore=shutil.ignore_patterns("*.py"))
    for folder in LANGUAGES:
        lessons = staging / folder / "lessons"
        lessons.mkdir(parents=True)
        shutil.copy2(SITE / folder / "index.md", staging / folder / "index.md")
        for notebook in sorted((ROOT / "learner" / folder).glob("*.ipynb")):
            shutil.copy2(notebook, lessons / notebook.name)


def build(out, staging):
    """Build both editions into ``out``; return Sphinx's exit status (0 when all went well)."""
    unrun = unrun_lessons()
    if unrun:
        print("\n".join(unrun), file=sys.stderr)
        print("Run them first (`make zh` for the Chinese edition), then build.", file=sys.stderr)
        return 1
    stage(staging)
    shutil.rmtree(out, ignore_errors=True)
    for folder, language in LANGUAGES.items():
        status = build_main(
            [
                "-q",
                "-W",
                "--keep-going",
                "-b",
                "html",
                "-c",
                str(SITE),
                "-D",
                f"language={language}",
            ]
            + ["-d", str(staging / "doctrees" / folder), str(staging / folder), str(out / folder)]
        )
        if status:
            return status
    shutil.copy2(SITE / "index.html", out / "index.html")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--staging", type=Path, default=ROOT / "build" / "site-src")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    status = build(args.out, args.staging)
    if not status:
        seconds = time.perf_counter() - start
        print(f"Site built in {seconds:.0f} s: open {args.out / 'index.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
