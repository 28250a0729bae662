"""Sphinx configuration of the series' static site (`make site`, which runs site/build.py).

One configuration, two builds: site/build.py runs Sphinx once per language (``-D language=en`` or
``zh_CN``) on a folder holding that language's landing page (site/en/index.md, site/zh/index.md)
and its learner notebooks, copied unchanged into ``lessons/``.

Why Sphinx with MyST-NB and sphinx-book-theme: MyST-NB renders the notebooks' stored outputs without
running anything (``nb_execution_mode = "off"``); the book theme is the one Jupyter Book and many
course sites use, reads well on a phone, and ships its scripts, styles and icon fonts itself;
Sphinx's own search indexes Chinese words with jieba. Jupyter Book 1 is this same stack behind a
YAML layer, one more tool to pin for nothing we need; Jupyter Book 2 (mystmd) needs Node.

Offline: MathJax 3 comes from the package sphinx-mathjax-offline, which vendors MathJax's files.
Only its single-file ``tex-svg.js`` is copied into the site: SVG output needs no web fonts and no
further downloads (its chtml output would fetch fonts, and the package's own extension copies all
24 MB of MathJax into every build).
"""

import importlib.util
import logging
import re
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

project = "Convolutions to LeNet"

extensions = ["myst_nb", "sphinx.ext.mathjax"]
templates_path = ["_templates"]
exclude_patterns = ["**/.ipynb_checkpoints"]

# The learner notebooks are committed executed: show their stored outputs, run nothing.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath"]
# A widget's live view needs a kernel: the page shows the picture stored beside it instead.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
nb_mime_priority_overrides = [("html", WIDGET_VIEW, None)]

MATHJAX_DIR = Path(importlib.util.find_spec("sphinx-mathjax-offline").origin).parent
html_static_path = ["_static", str(MATHJAX_DIR / "static" / "mathjax" / "tex-svg.js")]
mathjax_path = "tex-svg.js"
html_css_files = ["series.css"]

html_theme = "sphinx_book_theme"
html_theme_options = {
    "article_header_end": ["series-links.html", "article-header-buttons.html"],
    "use_fullscreen_button": False,
    "show_toc_level": 2,
}
# Light unless the reader switches: the lessons' pictures are drawn on white.
html_context = {"default_mode": "light"}
html_sourcelink_suffix = ""  # _sources/lessons/NN_name.ipynb is the notebook itself: downloadable
html_last_updated_fmt = None
html_show_sphinx = False
html_show_copyright = False
# A result's summary is fetched from its page, which a browser refuses for pages opened from disk.
html_show_search_summary = False

# Words of the site itself, per language; the lessons bring their own.
LANGUAGE_NAMES = {"en": "English", "zh_CN": "中文"}
FOLDERS = {"en": "en", "zh_CN": "zh"}  # build/site/<folder>/
TEXTS = {
    "en": {
        "title": "Convolutions to LeNet",
        "download": "Download this lesson (.ipynb)",
        "download_short": ".ipynb",
        "other_language": "中文版",
        "widget_still": "A picture of this widget: run the lesson in JupyterLab to use it.",
    },
    "zh_CN": {
        "title": "从卷积到 LeNet",
        "download": "下载本课（.ipynb）",
        "download_short": ".ipynb",
        "other_language": "English",
        "widget_still": "这是控件的截图：在 JupyterLab 中运行本课即可使用它。",
    },
}
# A widget's text/plain that is only its class's repr says nothing to a reader.
WIDGET_REPR = re.compile(r"^\w+\(children=")


def other_language(language):
    return next(other for other in FOLDERS if other != language)


def set_language_dependent_values(app, config):
    """Title after the language Sphinx was given on the command line (``-D language=...``);
    jieba (Chinese search) told to keep its progress messages to itself."""
    config.html_title = TEXTS[config.language]["title"]
    if config.language.startswith("zh"):
        import jieba  # Sphinx's Chinese search splits words with it

        jieba.setLogLevel(logging.WARNING)  # not its dictionary-loading chatter


def add_series_links(app, pagename, templatename, context, doctree):
    """Give every page's header its link to the same page in the other language, and a lesson
    page its notebook's download link (the copy Sphinx keeps in _sources/)."""
    language = app.config.language
    other = other_language(language)
    to_site_root = "../" * (pagename.count("/") + 1)
    context["series_texts"] = TEXTS[language]
    context["other_language_url"] = f"{to_site_root}{FOLDERS[other]}/{pagename}.html"
    context["other_language_tag"] = other.replace("_", "-")
    sourcename = context.get("sourcename", "")
    if sourcename.endswith(".ipynb"):
        context["notebook_url"] = context["pathto"](f"_sources/{sourcename}", 1)


class WidgetStills(SphinxPostTransform):
    """Show each widget's stored picture with its description as alt text and, below it, a line
    saying how to use the widget live. Runs before MyST-NB picks one output per mime bundle."""

    default_priority = 3  # MyST-NB's SelectMimeType is 4

    def run(self, **kwargs):
        for bundle in list(self.document.findall(nodes.container)):
            mime_types = [child.get("mime_type") for child in bundle.children]
            if bundle.get("nb_element") != "mime_bundle" or WIDGET_VIEW not in mime_types:
                continue
            description = self.plain_text(bundle)
            for image in bundle.findall(nodes.image):
                if description and not WIDGET_REPR.match(description):
                    image["alt"] = description
            note = nodes.paragraph(text=TEXTS[self.config.language]["widget_still"])
            note["classes"].append("widget-still-note")
            bundle.parent.insert(bundle.parent.index(bundle) + 1, note)

    @staticmethod
    def plain_text(bundle):
        for child in bundle.children:
            if child.get("mime_type") == "text/plain":
                return child.astext().strip()
        return ""


def setup(app):
    app.connect("config-inited", set_language_dependent_values)
    app.connect("html-page-context", add_series_links)
    app.add_post_transform(WidgetStills)
