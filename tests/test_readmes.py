"""The two languages of each page stay in step, and the Chinese text uses one word per concept.

* README.md and README.zh.md (and docs/instructors.md and docs/instructors.zh.md) have the same
  headings at the same levels, the same code blocks (commands; a shell comment may be translated)
  and link the same targets, up to the language-specific names (README.zh.md, learner/zh/, …).
* The Chinese lessons (notebooks/zh/, learner/zh/) and the Chinese pages never use a variant that
  the terminology table of docs/instructors.zh.md rejects (小批量大小 for 批量大小, 竖直 for
  垂直, …), and every variant that table rejects is one checked here.
* A generated Chinese lesson has no line break between two Chinese characters in its markdown: the
  browser shows one as a space (tests/test_readme_commands.py checks the same on the pages).
"""

import re
from pathlib import Path

import nbformat
import pytest

from tools.translation import BREAK_IN_CHINESE, CODE_OR_MATHS

REPO = Path(__file__).resolve().parents[1]
PAIRS = [("README.md", "README.zh.md"), ("docs/instructors.md", "docs/instructors.zh.md")]
CHINESE_PAGES = [chinese for _, chinese in PAIRS]
CHINESE_LESSONS = sorted([*REPO.glob("notebooks/zh/*.ipynb"), *REPO.glob("learner/zh/*.ipynb")])
TERMINOLOGY_PAGE = "docs/instructors.zh.md"
TERMINOLOGY_HEADER = "| 概念 | 用 | 不用 | 说明 |"

# Rejected variant (a pattern) → the word to write instead. A lesson number in the table's examples
# (第 02 课) stands for any lesson number.
REJECTED = {
    r"小批量大小": "批量大小",
    r"竖直": "垂直",
    r"小部件": "控件",
    r"第 ?0\d ?课": "第 N 课 (no leading zero)",
    r"笔记本 ?0\d": "第 N 课",
    r"课程 ?0\d": "第 N 课",
    r"本讲|每讲|[五六]讲": "课",
    r"（dense block）": "全连接块 (d2l: 全连接层密集块); d2l's 稠密块 is DenseNet's",
    r"稠密块": "全连接块",
    r"步长": "步幅",
    r"计算示例": "演算示例",
    r"变形为|重排成": "重塑为",
    r"尺寸": "大小 / 形状",
}

FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^(#{1,6}) ", re.MULTILINE)
LINK = re.compile(r"\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`[^`\n]*`")
# Linked from the Chinese pages only: d2l's Chinese edition.
CHINESE_ONLY_LINKS = {"https://zh.d2l.ai"}


def read(page):
    return (REPO / page).read_text(encoding="utf-8")


def prose(markdown):
    """``markdown`` without its fenced code blocks."""
    return FENCE.sub("", markdown)


def heading_levels(markdown):
    return [len(hashes) for hashes in HEADING.findall(prose(markdown))]


def code_blocks(markdown):
    """``(language, lines)`` of each fenced block; a shell block's comments are left out."""
    blocks = []
    for language, body in FENCE.findall(markdown):
        lines = [line.strip() for line in body.splitlines()]
        if language in ("bash", "powershell"):
            lines = [re.sub(r"\s+#.*$", "", line) for line in lines]
        blocks.append((language, lines))
    return blocks


def language_neutral(target):
    """``target`` with its language left out: README.zh.md → README.md, learner/zh/ → learner/*/."""
    target = target.split("#")[0].replace(".zh.md", ".md")
    return re.sub(r"learner/(en|zh)/", "learner/*/", target)


def link_targets(markdown):
    """The pages, files and sites ``markdown`` links to (in-page anchors left out)."""
    targets = LINK.findall(INLINE_CODE.sub("", prose(markdown)))
    return {language_neutral(target) for target in targets if not target.startswith("#")}


@pytest.mark.parametrize("english,chinese", PAIRS)
def test_the_two_languages_have_the_same_headings(english, chinese):
    assert heading_levels(read(english)) == heading_levels(read(chinese))


@pytest.mark.parametrize("english,chinese", PAIRS)
def test_the_two_languages_have_the_same_code_blocks(english, chinese):
    english_blocks, chinese_blocks = code_blocks(read(english)), code_blocks(read(chinese))
    assert len(english_blocks) == len(chinese_blocks), f"{english} and {chinese}: block counts"
    for number, (wanted, found) in enumerate(zip(english_blocks, chinese_blocks), start=1):
        assert wanted == found, f"code block {number} of {chinese} differs from {english}'s"


@pytest.mark.parametrize("english,chinese", PAIRS)
def test_the_two_languages_link_the_same_targets(english, chinese):
    english_targets = link_targets(read(english)) | CHINESE_ONLY_LINKS
    chinese_targets = link_targets(read(chinese)) | CHINESE_ONLY_LINKS
    assert english_targets == chinese_targets, (
        f"only in {english}: {sorted(english_targets - chinese_targets)}; "
        f"only in {chinese}: {sorted(chinese_targets - english_targets)}"
    )


def test_the_comparisons_see_what_they_compare():
    """The parsers find the README's structure: a broken pattern would make the pages 'equal'."""
    readme = read("README.md")
    assert heading_levels(readme)[:2] == [1, 2]
    assert ("bash", ["make lab", "make test"]) in code_blocks(readme)
    assert {"README.md", "learner/*/01_cross_correlation.ipynb"} <= link_targets(readme)
    assert language_neutral("learner/zh/04_pooling.ipynb") == "learner/*/04_pooling.ipynb"


def terminology_table():
    """The rows of the terminology table on docs/instructors.zh.md, each a list of its cells."""
    lines = read(TERMINOLOGY_PAGE).splitlines()
    start = lines.index(TERMINOLOGY_HEADER)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def without_terminology_table(text):
    lines = text.splitlines()
    if TERMINOLOGY_HEADER not in lines:
        return text
    start = lines.index(TERMINOLOGY_HEADER)
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[:start] + lines[end:])


def chinese_texts():
    """``(where, text)`` for every Chinese text a reader sees: lesson markdown and the pages."""
    texts = []
    for path in CHINESE_LESSONS:
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "markdown":
                texts.append((f"{path.relative_to(REPO)} cell {index}", cell.source))
    for page in CHINESE_PAGES:
        texts.append((page, without_terminology_table(read(page))))
    return texts


def test_every_variant_the_table_rejects_is_checked():
    rows = terminology_table()
    assert len(rows) >= 10, "the terminology table on docs/instructors.zh.md is missing"
    for concept, _, rejected, _ in rows:
        # A variant in full-width brackets, e.g. （精度）, is advice, not a rule.
        variants = [v for v in rejected.split("、") if v and not re.fullmatch(r"（.*）", v)]
        for variant in variants:
            if variant == "迭代周期":  # d2l's word, glossed once where 轮 is introduced
                continue
            assert any(re.search(pattern, variant) for pattern in REJECTED), (
                f"{TERMINOLOGY_PAGE}: {concept}: {variant} is rejected but not checked"
            )


def test_the_chinese_text_uses_one_word_per_concept():
    texts = chinese_texts()
    assert len(texts) > 100, "expected every markdown cell of the Chinese lessons"
    found = [
        f"{where}: {match[0]!r} (write {preferred})"
        for where, text in texts
        for pattern, preferred in REJECTED.items()
        for match in re.finditer(pattern, INLINE_CODE.sub("", text))
    ]
    assert not found, "\n".join(found)


def test_epoch_is_glossed_with_d2ls_word_once():
    lessons = [text for where, text in chinese_texts() if where.startswith("notebooks/zh/")]
    assert sum(text.count("迭代周期") for text in lessons) == 1


@pytest.mark.parametrize("path", CHINESE_LESSONS, ids=lambda path: str(path.relative_to(REPO)))
def test_no_line_break_between_chinese_characters_in_a_generated_lesson(path):
    notebook = nbformat.read(path, as_version=4)
    breaks = [
        f"cell {index}: …{match[0][-12:]}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown"
        for match in BREAK_IN_CHINESE.finditer(CODE_OR_MATHS.sub(" ", cell.source))
    ]
    assert not breaks, f"line breaks between Chinese characters after {breaks}"
