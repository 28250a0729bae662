"""The READMEs' commands are the ones the Makefile runs, and `make lab-zh` does what they say.

Many learners work on Windows, where `make` is missing: README.md and README.zh.md (the learners'
pages) and docs/instructors.md and docs/instructors.zh.md (the instructors' page) give each recipe's
plain equivalent in ```powershell blocks. Those lines must be exactly the Makefile's recipe lines
with ``.venv/bin/python`` → ``.venv\\Scripts\\python``, ``python3`` → ``python``, ``/`` → ``\\``
and without ``$(ALLOW_ROOT)`` (Windows has no root): a Makefile change that the pages miss fails
here. Every Makefile target is documented on one of the pages, their relative links resolve, and
the Chinese pages have no line break between two Chinese characters (it shows as a space).
"""

import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tools.translation import BREAK_IN_CHINESE

REPO = Path(__file__).resolve().parents[1]
MAKEFILE = REPO / "Makefile"
READMES = ["README.md", "README.zh.md"]
INSTRUCTOR_PAGES = ["docs/instructors.md", "docs/instructors.zh.md"]
PAGES = READMES + INSTRUCTOR_PAGES
# What each page must document: the learners' set-up on the READMEs, the rest for instructors.
REQUIRED_TARGETS = {
    **dict.fromkeys(READMES, {"lab", "test", "lab-zh"}),
    **dict.fromkeys(INSTRUCTOR_PAGES, {"zh", "learner", "notebooks", "figures", "test-fast"}),
}
CODE_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SERVER_START_S = 60


def makefile():
    """``(variables, recipes)`` of the Makefile: ``{name: value}``, ``{target: [command, ...]}``."""
    text = MAKEFILE.read_text(encoding="utf-8").replace("\\\n", " ")  # join continued lines
    variables, recipes, target = {}, {}, None
    for line in text.splitlines():
        if line.startswith("\t") and target is not None:
            recipes[target].append(" ".join(line.split()))
        elif assignment := re.match(r"^(\w+) := (.*)$", line):
            variables[assignment[1]] = assignment[2]
        elif rule := re.match(r"^([^\s:#=.][^\s:=]*):(?!=)", line):
            target = rule[1]
            recipes[target] = []
    return variables, recipes


def expanded(text, variables):
    """``text`` with every ``$(NAME)`` of ``variables`` replaced, as make does (recursively)."""
    previous = None
    while text != previous:
        previous, text = text, re.sub(r"\$\((\w+)\)", lambda match: variables[match[1]], text)
    return " ".join(text.split())


def recipe_commands(target, allow_root):
    """The commands `make TARGET` runs, with $(ALLOW_ROOT) set to ``allow_root``."""
    variables, recipes = makefile()
    variables = {**variables, "ALLOW_ROOT": allow_root}
    targets = {expanded(name, variables): name for name in recipes}
    name = targets[target]
    return [expanded(line.replace("$@", name), variables) for line in recipes[name]]


def windows_command(command):
    """The plain Windows command for a recipe line; None for make's own bookkeeping (touch)."""
    if command.startswith("touch "):
        return None
    command = command.replace("python3 -m venv", "python -m venv")
    return command.replace(".venv/bin/python", ".venv/Scripts/python").replace("/", "\\")


def code_blocks(readme, language):
    text = (REPO / readme).read_text(encoding="utf-8")
    return [body for info, body in CODE_BLOCK.findall(text) if info == language]


def documented_make_targets(readme):
    return {
        match[1]
        for body in code_blocks(readme, "bash")
        for match in re.finditer(r"^make ([\w-]+)", body, re.MULTILINE)
    }


@pytest.mark.parametrize("page", PAGES)
def test_every_make_command_on_a_page_is_a_makefile_target(page):
    targets = set(makefile()[1])
    documented = documented_make_targets(page)
    assert REQUIRED_TARGETS[page] <= documented, f"{page} documents {sorted(documented)}"
    assert documented <= targets, f"{page}: no Makefile target for {sorted(documented - targets)}"


def test_every_makefile_target_is_documented_in_both_languages():
    targets = {target for target in makefile()[1] if not target.endswith("/installed")}
    for language in ("", ".zh"):
        pages = [f"README{language}.md", f"docs/instructors{language}.md"]
        documented = set().union(*map(documented_make_targets, pages))
        assert documented == targets, f"{pages} leave out {sorted(targets - documented)}"


@pytest.mark.parametrize("page", PAGES)
def test_windows_commands_are_exactly_what_the_makefile_runs(page):
    """The READMEs also give the three lines that create the environment."""
    setup = [".venv/installed"] if page in READMES else []
    targets = [*setup, *sorted(documented_make_targets(page))]
    expected = {
        windows_command(command)
        for target in targets
        for command in recipe_commands(target, allow_root="")
    } - {None}
    documented = {
        " ".join(line.split())
        for body in code_blocks(page, "powershell")
        for line in body.splitlines()
        if line.strip()
    }
    assert not expected - documented, (
        f"{page} lacks the Windows commands {sorted(expected - documented)}"
    )
    assert not documented - expected, (
        f"{page}: no Makefile recipe runs {sorted(documented - expected)}"
    )


def test_the_windows_translation_of_a_recipe():
    assert windows_command(
        ".venv/bin/python -m jupyter lab --ServerApp.root_dir=. notebooks/zh/01.ipynb"
    ) == (".venv\\Scripts\\python -m jupyter lab --ServerApp.root_dir=. notebooks\\zh\\01.ipynb")
    assert windows_command("python3 -m venv .venv") == "python -m venv .venv"
    assert windows_command("touch .venv/installed") is None


def test_the_pages_link_each_other_and_the_chinese_edition():
    english, chinese = ((REPO / page).read_text(encoding="utf-8") for page in READMES)
    assert "(README.zh.md)" in english.split("\n## ")[0], "README.md links README.zh.md at the top"
    assert "(README.md)" in chinese.split("\n## ")[0], "README.zh.md links README.md at the top"
    assert "(learner/zh/" in english.split("\n## ")[0] and "(learner/zh/" in chinese
    assert "(docs/instructors.md)" in english and "(docs/instructors.zh.md)" in chinese
    english, chinese = ((REPO / page).read_text(encoding="utf-8") for page in INSTRUCTOR_PAGES)
    assert "(instructors.zh.md)" in english.split("\n## ")[0]
    assert "(instructors.md)" in chinese.split("\n## ")[0]
    assert "(../README.md)" in english and "(../README.zh.md)" in chinese


def test_the_readmes_introduce_d2l_once_with_its_link():
    english, chinese = ((REPO / page).read_text(encoding="utf-8") for page in READMES)
    assert english.count("*Dive into Deep Learning* (d2l, [https://d2l.ai](https://d2l.ai))") == 1
    assert english.index("(d2l, [https://d2l.ai]") < english.index("d2l's")
    assert chinese.count("《动手学深度学习》（d2l，[https://zh.d2l.ai](https://zh.d2l.ai)") == 1


# A markdown link or image target outside code: `](target)`.
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


@pytest.mark.parametrize("page", PAGES)
def test_relative_links_on_the_pages_resolve(page):
    path = REPO / page
    for target in LINK.findall(CODE.sub("", path.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z]+:|^#", target):
            continue
        assert (path.parent / target.split("#")[0]).exists(), f"{page}: {target} is missing"


@pytest.mark.parametrize("page", [page for page in PAGES if ".zh." in page])
def test_no_line_break_between_chinese_characters(page):
    """Chromium shows such a break as a space inside a Chinese sentence; one line per paragraph."""
    text = CODE.sub("", (REPO / page).read_text(encoding="utf-8"))
    breaks = [match[0][-12:] for match in BREAK_IN_CHINESE.finditer(text)]
    assert not breaks, f"{page}: line breaks between Chinese characters after {breaks}"


# --------------------------------------------------------------------------------------------------
# `make lab-zh`: JupyterLab's own interface in Chinese; `make lab` leaves it alone
# --------------------------------------------------------------------------------------------------


def test_make_lab_opens_the_learner_edition_in_its_own_copy_in_the_default_language():
    copy, lab = recipe_commands("lab", allow_root="")
    assert copy == ".venv/bin/python -m tools.my_lessons en"
    assert lab.endswith(" my-lessons/en/01_cross_correlation.ipynb")
    assert (REPO / "learner" / "en" / "01_cross_correlation.ipynb").is_file()
    assert "user_settings_dir" not in lab and "JUPYTERLAB_SETTINGS_DIR" not in lab


def test_make_lab_zh_opens_the_chinese_learner_edition_in_its_own_copy():
    copy, lab = recipe_commands("lab-zh", allow_root="")
    assert copy == ".venv/bin/python -m tools.my_lessons zh"
    assert lab.endswith(" my-lessons/zh/01_cross_correlation.ipynb")
    assert (REPO / "learner" / "zh" / "01_cross_correlation.ipynb").is_file()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def wait_for_server(process, url):
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"JupyterLab exited with status {process.returncode}: {process.stdout.read()}"
            )
        try:
            return get(url)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer {url} within {SERVER_START_S} s")


@pytest.fixture()
def lab_zh(tmp_path):
    """JupyterLab started as `make lab-zh` starts it, on 127.0.0.1 with a token: (url, token).

    The recipe's first line, which makes the learner's copy in my-lessons/zh/, is not run here (a
    test must not touch a learner's work): JupyterLab opens the notebook that line would copy,
    learner/zh/01_cross_correlation.ipynb, which lies as deep.
    """
    allow_root = "--allow-root" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    _, command = recipe_commands("lab-zh", allow_root)
    arguments = shlex.split(command.replace(" my-lessons/zh/", " learner/zh/"))
    assert arguments[:4] == [".venv/bin/python", "-m", "jupyter", "lab"], command
    port, token = free_port(), secrets.token_hex(16)
    process = subprocess.Popen(
        [sys.executable, *arguments[1:], "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--LabApp.workspaces_dir={tmp_path}"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(process, f"{url}/api/status?token={token}")
        yield url, token
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.mark.slow
def test_make_lab_zh_opens_the_chinese_edition_in_a_chinese_jupyterlab(lab_zh):
    url, token = lab_zh
    _, translations = get(f"{url}/lab/api/translations?token={token}")
    assert "zh_CN" in json.loads(translations)["data"], "jupyterlab-language-pack-zh-cn is missing"
    plugin = "@jupyterlab/translation-extension:plugin"
    _, settings = get(f"{url}/lab/api/settings/{plugin}?token={token}")
    assert json.loads(settings)["settings"]["locale"] == "zh_CN"
    notebook = "learner/zh/01_cross_correlation.ipynb"
    assert get(f"{url}/api/contents/{notebook}?content=0&token={token}")[0] == 200
    status, _ = get(f"{url}/files/figures/cross_correlation.png?token={token}")
    assert status == 200, "the lessons' figures must lie inside JupyterLab's root"
