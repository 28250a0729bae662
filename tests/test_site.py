"""The static site (`make site`, site/build.py) built once, then read in headless Chromium offline.

The build runs as `make site` runs it, into a temporary folder. Pages are opened from disk with the
browser context offline and every request that is not for a local file aborted and recorded: a
page that wants anything from another host fails the test, as does any console error. On the
pages: MathJax has typeset every formula, every picture has loaded, the widgets show as pictures
with their line (never ``HBox(children=…``), the language link leads to the same page in the other
language, a lesson links its notebook, and Chinese search finds a Chinese word. At a phone's width
no page of either edition is wider than the screen, and every printed line of a lesson shows on its
page. Screenshots of a lesson in each language, at 1280×800 and at a phone's width, go to
build/site-artifacts/.
"""

import html
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.browser import CHROMIUM, UI_TIMEOUT_MS, VIEWPORT, headless_chromium
from tools.translation import CHINESE_OR_PUNCTUATION

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPO_ROOT = Path(__file__).resolve().parents[1]
# Screenshots for people to look at (never compared: fonts differ between machines).
ARTIFACTS = REPO_ROOT / "build" / "site-artifacts"
PHONE = {"width": 390, "height": 844}
LESSONS = sorted(path.name for path in (REPO_ROOT / "learner" / "en").glob("*.ipynb"))
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
# A line break between two Chinese characters: a soft line break of the source, which Chromium
# shows as a space in Chinese text.
BREAK_IN_CHINESE = re.compile(f"{CHINESE_OR_PUNCTUATION}[ \\t]*\\n\\s*{CHINESE_OR_PUNCTUATION}")
WIDGET_LINES = {
    "en": "run the lesson in JupyterLab to use it",
    "zh": "在 JupyterLab 中运行本课即可使用它",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built once for the module as `make site` builds it."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium package")
    out = tmp_path_factory.mktemp("site")
    staging = tmp_path_factory.mktemp("site-src")
    command = [sys.executable, "site/build.py", "--out", str(out), "--staging", str(staging)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"site build failed:\n{result.stdout}\n{result.stderr}"
    return out


@pytest.fixture(scope="module")
def browser():
    with headless_chromium() as chromium:
        yield chromium


class OfflinePage:
    """A page in an offline browser context that records what it asked of the network and what
    went wrong in it."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport=VIEWPORT, offline=True)
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.page.set_default_timeout(UI_TIMEOUT_MS)
        self.remote_requests, self.errors = [], []
        self.page.on("request", self._note_request)
        self.page.on("console", self._note_console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("requestfailed", self._note_failure)

    def _only_local(self, route):
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            route.abort()

    def _note_request(self, request):
        if not request.url.startswith(LOCAL_SCHEMES):
            self.remote_requests.append(request.url)

    def _note_console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _note_failure(self, request):
        if request.url.startswith(LOCAL_SCHEMES):
            self.errors.append(f"could not load {request.url}: {request.failure}")

    def open(self, path):
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def assert_clean(self):
        assert not self.remote_requests, f"requests to other hosts: {self.remote_requests}"
        assert not self.errors, "\n".join(self.errors)

    def close(self):
        self.context.close()


@pytest.fixture
def offline(browser):
    page = OfflinePage(browser)
    yield page
    page.close()


def wait_for_maths(page):
    """Wait until MathJax has typeset the page; return how many formulas it drew."""
    page.wait_for_function("() => window.MathJax?.startup?.promise !== undefined")
    page.evaluate("() => MathJax.startup.promise")
    return page.evaluate("""() => {
        const formulas = [...document.querySelectorAll(".math")];
        const drawn = formulas.filter((f) => f.querySelector("mjx-container svg"));
        if (document.querySelector("mjx-merror")) return -1;
        return drawn.length === formulas.length ? drawn.length : 0;
    }""")


def broken_pictures(page):
    """The pictures on the page that did not load (their src)."""
    return page.evaluate("""async () => {
        const images = [...document.images];
        await Promise.all(images.map((image) => image.decode().catch(() => null)));
        return images.filter((image) => image.naturalWidth === 0).map((image) => image.src);
    }""")


def line_breaks_in_chinese(page):
    """Line breaks between two Chinese characters in the article's paragraphs and headings (as
    they stand in the HTML, before the browser shows them as spaces)."""
    texts = page.evaluate("""() => [...document.querySelectorAll(
        "article p, article h1, article h2, article h3, article h4")].map((e) => e.textContent)""")
    return [match for text in texts for match in BREAK_IN_CHINESE.findall(text)]


def wait_for_transitions(page):
    """Wait until the theme's sidebars have finished sliding (after a change of width)."""
    page.evaluate("() => Promise.all(document.getAnimations().map((a) => a.finished))")


def save_screenshots(page, name):
    """The top of the page at 1280×800 and at a phone's width, into ARTIFACTS."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size in (VIEWPORT, PHONE):
        page.set_viewport_size(size)
        wait_for_transitions(page)
        page.screenshot(path=ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png")
    page.set_viewport_size(VIEWPORT)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_lesson_page_offline(site, offline, language):
    """A lesson with maths, figures, plots and a widget renders offline in each language, and its
    language link leads to the same lesson in the other."""
    other = {"en": "zh", "zh": "en"}[language]
    lesson = LESSONS[0].removesuffix(".ipynb")
    page = offline.open(site / language / "lessons" / f"{lesson}.html")

    assert wait_for_maths(page) > 10, "MathJax left formulas untypeset (or drew an error)"
    assert page.locator("img").count() >= 5
    assert broken_pictures(page) == []
    text = page.inner_text("body")
    assert "HBox(children=" not in text
    note = page.locator(".widget-still-note")
    assert note.count() == 1 and WIDGET_LINES[language] in note.inner_text()
    still = note.locator("xpath=preceding-sibling::img[1]")
    assert still.evaluate("(image) => image.naturalWidth") > 0
    if language == "zh":
        assert line_breaks_in_chinese(page) == []
    save_screenshots(page, f"{language}-{lesson}")

    notebook = page.locator(".series-notebook-link")
    href = notebook.get_attribute("href")
    assert href.endswith(f"{lesson}.ipynb")
    downloaded = (site / language / "lessons" / href).resolve()
    assert downloaded.read_bytes() == (REPO_ROOT / "learner" / language / LESSONS[0]).read_bytes()

    page.click(".series-language-link")
    page.wait_for_load_state("load")
    assert page.url == (site / other / "lessons" / f"{lesson}.html").as_uri()
    assert page.get_attribute("html", "lang").startswith(other)
    assert wait_for_maths(page) > 10
    offline.assert_clean()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_landing_page_offline(site, offline, language):
    """Each landing page lists every lesson, with working links, and gives the set-up commands."""
    page = offline.open(site / "index.html")
    page.click(f'a[href="{language}/index.html"]')
    page.wait_for_load_state("load")
    assert broken_pictures(page) == []
    lesson_links = page.locator("article a.reference.internal[href^='lessons/']")
    assert sorted({link.get_attribute("href") for link in lesson_links.all()}) == [
        f"lessons/{name.removesuffix('.ipynb')}.html" for name in LESSONS
    ]
    code = page.inner_text("article pre")
    assert "make test" in code and "make lab" in code
    if language == "zh":
        assert line_breaks_in_chinese(page) == []
    page.click(".series-language-link")
    page.wait_for_load_state("load")
    assert page.url == (site / {"en": "zh", "zh": "en"}[language] / "index.html").as_uri()
    offline.assert_clean()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_pages_fit_a_phone_screen(site, browser, language):
    """At a phone's width no page is wider than the screen (a wide code block, output, table or
    formula scrolls in its own box; a picture shrinks): the landing pages and every lesson."""
    context = browser.new_context(viewport=PHONE, offline=True)
    page = context.new_page()
    pages = [site / language / "index.html"]
    pages += [site / language / "lessons" / name.replace(".ipynb", ".html") for name in LESSONS]
    if language == "en":
        pages.append(site / "index.html")
    too_wide = {}
    for path in pages:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        page.evaluate("() => window.MathJax?.startup?.promise")  # typeset formulas take room
        width = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if width > 0:
            too_wide[path.relative_to(site).as_posix()] = width
    context.close()
    assert too_wide == {}, f"pages wider than a {PHONE['width']} px screen by (px): {too_wide}"


def stream_lines(notebook_path):
    """Every line a lesson's cells printed (stdout and stderr), as the notebook stores them."""
    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    outputs = [output for cell in notebook["cells"] for output in cell.get("outputs", [])]
    streams = ["".join(output["text"]) for output in outputs if output["output_type"] == "stream"]
    return [line.rstrip() for text in streams for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_printed_line_shows(site, language):
    """The pages keep each lesson's printed output, those after a widget's picture included."""
    for name in LESSONS:
        lines = stream_lines(REPO_ROOT / "learner" / language / name)
        assert lines, f"{language}/{name} printed nothing"
        page = (site / language / "lessons" / name.replace(".ipynb", ".html")).read_text("utf-8")
        missing = [line for line in lines if html.escape(line, quote=False) not in page]
        assert missing == [], f"{language}/{name}: printed lines not on the page: {missing[:3]}"


def test_the_build_refuses_a_lesson_cell_that_never_ran():
    """A code cell without an execution count would show without its output: the build names it
    (the exercises' cells, cleared by the learner edition, excepted)."""
    spec = importlib.util.spec_from_file_location("site_build", REPO_ROOT / "site" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)

    def code(execution_count, metadata=None):
        return {
            "cell_type": "code",
            "source": ["print('a line')"],
            "execution_count": execution_count,
            "metadata": metadata or {},
        }

    exercise = code(None, {"nbgrader": {"solution": True}})
    markdown = {"cell_type": "markdown", "source": ["text"], "metadata": {}}
    notebook = {"cells": [code(1), markdown, code(None), exercise, code(2)]}
    assert build.cells_not_run(notebook) == [2]


def test_chinese_search_finds_a_chinese_word(site, offline):
    """Sphinx's search, with jieba's words, finds the lesson on pooling by its Chinese name."""
    page = offline.open(site / "zh" / "search.html")
    page.goto(f"{(site / 'zh' / 'search.html').as_uri()}?q=汇聚")
    results = page.locator("#search-results li a")
    results.first.wait_for()
    hrefs = [link.get_attribute("href") for link in results.all()]
    assert any("lessons/04_pooling.html" in href for href in hrefs)
    offline.assert_clean()


def test_every_page_is_static_and_local(site):
    """No page of either edition shows a widget's repr or a solution, loads a script or style
    from another host, or points at a picture that is not in the site."""
    pages = sorted(site.glob("*/**/*.html"))
    assert len(pages) >= 2 * (len(LESSONS) + 1)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for forbidden in ("HBox(children=", "BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
            assert forbidden not in html, (page, forbidden)
        remote = re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="(?:https?:)?//[^"]*"', html)
        assert not remote, (page, remote)
        for src in re.findall(r'<img[^>]*src="([^"]+)"', html):
            assert (page.parent / src).is_file(), (page, src)
