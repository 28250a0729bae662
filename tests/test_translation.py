"""The Chinese edition (notebooks/zh/) against the English notebooks and the catalogues.

Part one checks the repository: every English markdown cell, code string and comment translated,
no fuzzy translation, Chinese in every markdown translation and no line break between Chinese
characters, code translations that keep their ``{…}`` fields and parse, each Chinese code cell
the English one up to its translated strings and comments (the drift test, by tokens),
notebooks/zh/ what `make zh` generates (outputs apart) and executed. Each failure names notebook
and cell. Part two pins down the machinery (tools/translation.py, tools/code_cells.py) on small
notebooks made here.

The Chinese notebooks hold their own outputs, from running them in Chinese; nbval runs them in
`make test` like the English ones (pyproject.toml).
"""

import json
import re
from pathlib import Path

import nbformat
import polib
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from classroom.release import LINK_TARGET, URL_SCHEME
from tools import code_cells, translation

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_FILES = [path.name for path in translation.english_notebooks(REPO / "notebooks")]


# --------------------------------------------------------------------------------------------------
# Part one: the repository's Chinese edition
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def problems():
    return translation.check(REPO / "notebooks", REPO / "notebooks" / "zh")


def problems_of(problems, notebook, kind):
    return [
        problem for problem in problems if problem.notebook == notebook and problem.kind == kind
    ]


def report(found):
    return f"{len(found)} problem(s):\n" + "\n".join(map(str, found))


# What each test forbids: an English markdown cell, code string or comment without a translation, a
# fuzzy translation, a translated markdown cell without any Chinese or with a line break between
# Chinese characters, a code translation that loses a field or does not parse, a Chinese code cell
# that is not the English one up to its translations, a notebooks/zh/ file that is not what
# `make zh` generates, a Chinese notebook not executed.
DRIFT = {
    "untranslated": translation.UNTRANSLATED,
    "fuzzy": translation.FUZZY,
    "no_chinese": translation.NO_CHINESE,
    "line_break": translation.LINE_BREAK,
    "code_translation": translation.CODE_TRANSLATION,
    "code_differs": translation.CODE_DIFFERS,
    "not_generated": translation.NOT_GENERATED,
    "not_executed": translation.NOT_EXECUTED,
}


@pytest.mark.parametrize("kind", DRIFT.values(), ids=DRIFT.keys())
@pytest.mark.parametrize("notebook", NOTEBOOK_FILES)
def test_chinese_edition_has_not_drifted(problems, notebook, kind):
    found = problems_of(problems, notebook, kind)
    assert not found, report(found)


def test_nothing_in_the_chinese_edition_lacks_an_english_notebook(problems):
    found = [problem for problem in problems if problem.notebook not in NOTEBOOK_FILES]
    assert not found, report(found)


@pytest.mark.parametrize("notebook", NOTEBOOK_FILES)
def test_relative_links_of_the_chinese_notebooks_resolve(notebook):
    path = REPO / "notebooks" / "zh" / notebook
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "markdown":
            continue
        for match in LINK_TARGET.finditer(cell.source):
            target = match["target"].split("#")[0]
            if URL_SCHEME.match(target) or not target:
                continue
            assert (path.parent / target).exists(), (
                f"{notebook} cell {index + 1}: {target} is missing"
            )


@pytest.mark.parametrize("notebook", NOTEBOOK_FILES)
def test_each_chinese_code_cell_is_its_english_cell_up_to_translated_strings(notebook):
    """The drift test: tokenized, the cells differ only in strings and comments offered for
    translation (and keep their quotes)."""
    english = nbformat.read(REPO / "notebooks" / notebook, as_version=4)
    chinese = nbformat.read(REPO / "notebooks" / "zh" / notebook, as_version=4)
    assert len(english.cells) == len(chinese.cells)
    drifted = [
        f"cell {index + 1}: {drift}"
        for index, (cell, translated) in enumerate(zip(english.cells, chinese.cells))
        if cell.cell_type == "code"
        and (drift := code_cells.drift(cell.source, translated.source)) is not None
    ]
    assert not drifted, "\n".join(drifted)


def test_nbval_runs_the_chinese_notebooks():
    """They hold their own (Chinese) outputs, so `make test` checks them like the English ones."""
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    norecursedirs = re.search(r"^norecursedirs = \[(.*)\]$", pyproject, re.MULTILINE)
    assert norecursedirs and '"zh"' not in norecursedirs[1].split(", ")


# --------------------------------------------------------------------------------------------------
# Part two: the machinery, on notebooks made here
# --------------------------------------------------------------------------------------------------

INTRO = "# 01 · A lesson\n\n**Objective.** Compute the thing by hand."
FIGURE = "The picture shows it:\n\n![the thing](../figures/thing.png)"
MATHS = "$$Y = X \\star K$$"
TRICKY = (
    "Trailing spaces  \n`code` with \\ backslash, $x_{i}$, and\n\n```python\nprint('hi')\n```\n"
)
CHINESE = {
    MATHS: MATHS,
    INTRO: "# 01 · 一课\n\n**目标。** 手算这件事。",
    FIGURE: "图中给出了它：\n\n![这件事](../figures/thing.png)",
    TRICKY: "行尾空格  \n`code` 与 \\ 反斜杠、$x_{i}$，以及\n\n```python\nprint('hi')\n```\n",
}


def code_cell(cell_id, source="x = 1  \nprint(x)\t# 1 → 1 ·"):
    """A code cell as an executed notebook stores it: outputs, a count, nbgrader metadata. The
    default source has no text to translate (a comment without letters)."""
    cell = new_code_cell(source, execution_count=3, id=cell_id)
    cell.outputs = [new_output("stream", name="stdout", text="1\n")]
    cell.metadata = {"nbgrader": {"grade_id": "ex1", "solution": True}, "tags": ["t"]}
    return cell


def lesson(*markdown):
    """A notebook of the given markdown cells, each followed by a code cell (ids m0, c0, m1...)."""
    cells = []
    for index, text in enumerate(markdown):
        cells += [new_markdown_cell(text, id=f"m{index}"), code_cell(f"c{index}")]
    return new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )


@pytest.fixture()
def edition(tmp_path):
    """A repository-like layout: English notebooks in ``en/``, the Chinese edition in ``en/zh/``."""
    english_dir = tmp_path / "en"
    english_dir.mkdir()
    return english_dir, english_dir / "zh"


def write_lesson(english_dir, *markdown, name="01_a.ipynb"):
    nbformat.write(lesson(*markdown), english_dir / name)


def catalogue(chinese_dir, stem="01_a"):
    return polib.pofile(str(translation.catalogue_folder(chinese_dir.parent) / f"{stem}.po"))


def make_zh(english_dir, chinese_dir):
    """update, build and (pretending: no kernel here) execute, as `make zh` does."""
    translation.update(english_dir, chinese_dir)
    translation.build(english_dir, chinese_dir)
    pretend_to_execute(chinese_dir)


def pretend_to_execute(chinese_dir):
    """What execute() leaves, without a kernel: each cell not run gets a count and an output."""
    for path in chinese_dir.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        for index, cell in translation.not_run_cells(notebook):
            cell.execution_count = index
            cell.outputs = [new_output("stream", name="stdout", text=f"运行了 {cell.id}\n")]
        nbformat.write(notebook, path)


def translate(english_dir, chinese_dir, translations):
    """What a translator does: fill in msgstrs (clearing the fuzzy flag), then update and build."""
    po = catalogue(chinese_dir)
    for entry in po:
        if entry.msgid in translations:
            entry.msgstr = translations[entry.msgid]
            entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
    po.save()
    translation.update(english_dir, chinese_dir)
    translation.build(english_dir, chinese_dir)  # a changed code cell is left not run


def kinds_and_cells(problems):
    return {(problem.kind, problem.notebook, problem.cell) for problem in problems}


def test_update_makes_one_untranslated_entry_per_markdown_cell_naming_notebook_and_cell(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO, FIGURE, "  \n")
    translation.update(english_dir, chinese_dir)
    po = catalogue(chinese_dir)
    assert [entry.msgid for entry in po] == [INTRO, FIGURE], "blank cells have nothing to translate"
    assert [entry.occurrences for entry in po] == [[("01_a.ipynb:m0", "")], [("01_a.ipynb:m1", "")]]
    assert po.percent_translated() == 0 and po.metadata["Language"] == "zh_CN"


def test_catalogue_round_trips_markdown_exactly_and_update_is_idempotent(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, TRICKY, MATHS)
    make_zh(english_dir, chinese_dir)
    translate(english_dir, chinese_dir, CHINESE)
    before = (translation.catalogue_folder(chinese_dir.parent) / "01_a.po").read_bytes()
    assert translation.update(english_dir, chinese_dir) == []
    assert (translation.catalogue_folder(chinese_dir.parent) / "01_a.po").read_bytes() == before
    assert catalogue(chinese_dir).find(TRICKY).msgstr == CHINESE[TRICKY]


def test_a_changed_paragraph_becomes_fuzzy_keeping_the_old_english_and_translation(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO, FIGURE)
    make_zh(english_dir, chinese_dir)
    translate(english_dir, chinese_dir, CHINESE)
    changed = INTRO.replace("by hand", "by hand, twice")
    write_lesson(english_dir, changed, FIGURE)
    translation.update(english_dir, chinese_dir)
    entry = catalogue(chinese_dir).find(changed)
    assert entry.fuzzy and entry.previous_msgid == INTRO and entry.msgstr == CHINESE[INTRO]
    assert catalogue(chinese_dir).obsolete_entries() == [], (
        "the old pair lives on in the fuzzy entry"
    )
    problems = translation.check(english_dir, chinese_dir)
    assert (translation.FUZZY, "01_a.ipynb", "cell 1 (id m0)") in kinds_and_cells(problems)
    built = translation.chinese_notebook(
        nbformat.read(english_dir / "01_a.ipynb", as_version=4),
        catalogue(chinese_dir),
        "01_a",
        set(),
    )
    assert built.cells[0].source == changed, "a fuzzy translation is not published"


def test_a_rewritten_paragraph_is_untranslated_and_its_old_translation_obsolete(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO, FIGURE)
    make_zh(english_dir, chinese_dir)
    translate(english_dir, chinese_dir, CHINESE)
    rewritten = "Something else entirely, about pooling windows and strides."
    write_lesson(english_dir, INTRO, rewritten)
    translation.update(english_dir, chinese_dir)
    po = catalogue(chinese_dir)
    assert po.find(rewritten).msgstr == "" and not po.find(rewritten).fuzzy
    assert [(entry.msgid, entry.msgstr) for entry in po.obsolete_entries()] == [
        (FIGURE, CHINESE[FIGURE])
    ]
    assert "#~ msgid" in (translation.catalogue_folder(chinese_dir.parent) / "01_a.po").read_text(
        encoding="utf-8"
    )
    problems = translation.check(english_dir, chinese_dir)
    assert (translation.UNTRANSLATED, "01_a.ipynb", "cell 3 (id m1)") in kinds_and_cells(problems)


def test_a_paragraph_that_comes_back_gets_its_obsolete_translation_back(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO, FIGURE)
    make_zh(english_dir, chinese_dir)
    translate(english_dir, chinese_dir, CHINESE)
    write_lesson(english_dir, INTRO)
    translation.update(english_dir, chinese_dir)
    write_lesson(english_dir, INTRO, FIGURE)
    translation.update(english_dir, chinese_dir)
    entry = catalogue(chinese_dir).find(FIGURE)
    assert entry.msgstr == CHINESE[FIGURE] and not entry.fuzzy and not entry.obsolete


def test_build_translates_markdown_and_copies_code_without_text_byte_for_byte(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO, MATHS)
    make_zh(english_dir, chinese_dir)
    translate(english_dir, chinese_dir, CHINESE)
    english = json.loads((english_dir / "01_a.ipynb").read_text(encoding="utf-8"))
    chinese = json.loads((chinese_dir / "01_a.ipynb").read_text(encoding="utf-8"))
    assert "".join(chinese["cells"][0]["source"]) == CHINESE[INTRO]
    for index in (1, 3):
        for key in ("source", "metadata", "id", "cell_type"):
            assert json.dumps(chinese["cells"][index][key]) == json.dumps(
                english["cells"][index][key]
            )
        assert chinese["cells"][index]["outputs"][0]["text"] == [f"运行了 c{index // 2}\n"]
    assert chinese["metadata"]["translation"]["language"] == "zh-CN"
    assert translation.check(english_dir, chinese_dir) == [], "maths-only cells need no Chinese"


def test_build_is_deterministic_and_formatted_like_the_english_notebooks(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO)
    make_zh(english_dir, chinese_dir)
    text = (chinese_dir / "01_a.ipynb").read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n "cells": [\n')
    assert translation.build(english_dir, chinese_dir) == []
    assert (chinese_dir / "01_a.ipynb").read_text(encoding="utf-8") == text


def test_build_removes_a_chinese_notebook_whose_english_notebook_is_gone(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO)
    write_lesson(english_dir, INTRO, name="02_b.ipynb")
    make_zh(english_dir, chinese_dir)
    (english_dir / "02_b.ipynb").unlink()
    problems = translation.check(english_dir, chinese_dir)
    assert {problem.notebook for problem in problems} >= {"02_b.ipynb", "02_b.po"}
    translation.build(english_dir, chinese_dir)
    assert sorted(path.name for path in chinese_dir.glob("*.ipynb")) == ["01_a.ipynb"]


@pytest.mark.parametrize(
    "english, chinese",
    [
        ("![a](../figures/x.png)", "![a](../../figures/x.png)"),
        ('![a](../figures/x.png "title")', '![a](../../figures/x.png "title")'),
        ("[next](02_b.ipynb)", "[next](02_b.ipynb)"),
        ("[next](./02_b.ipynb#exercises)", "[next](./02_b.ipynb#exercises)"),
        ("[code](../helpers.py#L10)", "[code](../../helpers.py#L10)"),
        ("[data](data.csv)", "[data](../data.csv)"),
        ('<img src="../figures/x.png" width=300>', '<img src="../../figures/x.png" width=300>'),
        ("[ref]: ../figures/x.png", "[ref]: ../../figures/x.png"),
        (
            "[d2l](https://d2l.ai/x.html) [top](#objective)",
            "[d2l](https://d2l.ai/x.html) [top](#objective)",
        ),
        ("![a](attachment:x.png) ![b](/abs.png)", "![a](attachment:x.png) ![b](/abs.png)"),
        ("`f(x)[0](y)` and ```\n![a](../x.png)\n```", "`f(x)[0](y)` and ```\n![a](../x.png)\n```"),
    ],
)
def test_relative_links_are_rewritten_to_resolve_from_notebooks_zh(english, chinese):
    assert translation.with_links_from_chinese_edition(english, {"02_b.ipynb"}) == chinese


def test_check_names_the_cell_whose_code_or_generated_markdown_was_edited_by_hand(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO, FIGURE)
    make_zh(english_dir, chinese_dir)
    translate(english_dir, chinese_dir, CHINESE)
    path = chinese_dir / "01_a.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[1].outputs[0].text = "2\n"  # a cell's own output is not drift
    notebook.cells[3].source = notebook.cells[3].source.replace("x = 1", "x = 2")
    notebook.cells[2].source += " 手改"
    nbformat.write(notebook, path)
    problems = translation.check(english_dir, chinese_dir)
    assert kinds_and_cells(problems) == {
        (translation.CODE_DIFFERS, "01_a.ipynb", "cell 4 (id c1)"),
        (translation.NOT_GENERATED, "01_a.ipynb", "cell 3 (id m1)"),
    }
    assert "'2' where the English cell has '1'" in str(problems[0]) and str(problems[0]).startswith(
        "01_a.ipynb cell 4 (id c1): "
    )


def test_check_reports_a_translation_without_chinese(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO, MATHS)
    make_zh(english_dir, chinese_dir)
    translate(
        english_dir, chinese_dir, {INTRO: "# 01 · A lesson (copied, not translated)", MATHS: MATHS}
    )
    problems = translation.check(english_dir, chinese_dir)
    assert kinds_and_cells(problems) == {(translation.NO_CHINESE, "01_a.ipynb", "cell 1 (id m0)")}


def test_check_reports_a_catalogue_or_notebook_not_updated_after_the_english_changed(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO, FIGURE)
    make_zh(english_dir, chinese_dir)
    write_lesson(english_dir, INTRO, FIGURE + " More.")
    found = kinds_and_cells(translation.check(english_dir, chinese_dir))
    assert (translation.UNTRANSLATED, "01_a.ipynb", "cell 3 (id m1)") in found
    assert (translation.NOT_GENERATED, "01_a.ipynb", "") in found, "the catalogue is stale"
    assert (translation.NOT_GENERATED, "01_a.ipynb", "cell 3 (id m1)") in found, "the notebook is"


def test_import_merges_translations_by_msgid(edition, tmp_path):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO, FIGURE)
    translation.update(english_dir, chinese_dir)
    incoming = polib.POFile()
    incoming.append(polib.POEntry(msgid=INTRO, msgstr=CHINESE[INTRO], occurrences=[("x", "1")]))
    incoming.append(polib.POEntry(msgid="A paragraph that no longer exists.", msgstr="旧段落。"))
    incoming.save(str(tmp_path / "01_a.po"))
    translation.import_translations([tmp_path / "01_a.po"], english_dir, chinese_dir)
    po = catalogue(chinese_dir)
    assert po.find(INTRO).msgstr == CHINESE[INTRO]
    assert po.find(INTRO).occurrences == [("01_a.ipynb:m0", "")]
    assert [entry.msgstr for entry in po.obsolete_entries()] == ["旧段落。"]
    with pytest.raises(ValueError, match="named after an English notebook"):
        translation.import_translations([tmp_path / "99_unknown.po"], english_dir, chinese_dir)


def test_arguments_are_checked(edition):
    english_dir, chinese_dir = edition
    with pytest.raises(TypeError, match="english_dir must be a path .* got int"):
        translation.update(3, chinese_dir)
    with pytest.raises(ValueError, match="english_dir must be an existing folder, got '.*missing'"):
        translation.build(english_dir / "missing", chinese_dir)
    with pytest.raises(TypeError, match="chinese_dir must be a path .* got NoneType"):
        translation.check(english_dir, None)
    with pytest.raises(TypeError, match="paths must be a list of .po paths, got the single path"):
        translation.import_translations("01_a.po", english_dir, chinese_dir)


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "x.po"
    path.write_text("old", encoding="utf-8")

    def refuse(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(translation.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        translation.write_atomically(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.po"], "no temporary file is left behind"


@pytest.mark.parametrize(
    "msgstr,flagged",
    [
        ("第一行的结尾\n第二行", True),
        ("列表之后。\n下一句", True),
        ("同一行里的中文，没有换行", False),
        ("## 标题\n正文从这里开始", False),  # a heading ends at its line break
        ("用 `F.conv2d`\n核对", False),  # a break after code shows as a space, as in English
        ("中文\n\n下一段", False),  # a blank line starts a new paragraph
    ],
)
def test_a_line_break_between_chinese_characters_is_a_problem(msgstr, flagged):
    entry = polib.POEntry(msgid="Some English text", msgstr=msgstr)
    problem = translation.entry_problem(entry, entry.msgid, "xx.po")
    assert (problem is not None and problem[0] == translation.LINE_BREAK) is flagged, problem


# --------------------------------------------------------------------------------------------------
# Code cells: their strings and comments
# --------------------------------------------------------------------------------------------------

CHECK_CELL = """\
### BEGIN SOLUTION
Y = corr2d(X, K)  # the worked example
### END SOLUTION
assert Y.shape == (2, 2), f"expected shape (2, 2), got {tuple(Y.shape)}"
assert ok, (
    "padding=1 gave the unpadded shape: "
    f"did you forget to pad {name}?"
)
plt.title("Sobel x")
mode = "max"  # noqa: F841
print("helpers.corr2d", b"raw bytes here", f"{a:>9} {b!r}")
"""
CHECK_CELL_CHINESE = {
    ("comment", "the worked example"): "正文中的例子",
    (
        "code",
        "expected shape (2, 2), got {tuple(Y.shape)}",
    ): "形状应为 (2, 2)，得到 {tuple(Y.shape)}",
    ("code", "padding=1 gave the unpadded shape: \ndid you forget to pad {name}?"): (
        "padding=1 得到的是没有填充时的形状：\n是不是忘了给 {name} 填充？"
    ),
    ("code", "Sobel x"): "Sobel x 方向",
}


def test_code_strings_of_two_words_and_comments_are_offered_not_keys_markers_or_pragmas():
    offered = [(piece.context, piece.msgid) for piece in code_cells.pieces(CHECK_CELL)]
    assert offered == list(CHECK_CELL_CHINESE), "one entry for the implicitly joined literals"


def test_translated_code_keeps_every_token_but_the_translated_ones():
    chinese = code_cells.translated_source(CHECK_CELL, CHECK_CELL_CHINESE)
    assert 'f"形状应为 (2, 2)，得到 {tuple(Y.shape)}"' in chinese
    assert (
        '    "padding=1 得到的是没有填充时的形状："\n    f"是不是忘了给 {name} 填充？"\n' in chinese
    )
    assert "# 正文中的例子\n### END SOLUTION" in chinese and "# noqa: F841" in chinese
    assert code_cells.drift(CHECK_CELL, chinese) is None and code_cells.parses(chinese)


@pytest.mark.parametrize(
    "edit, found",
    [
        (("corr2d(X, K)", "corr2d(K, X)"), "'K' where the English cell has 'X'"),
        (('"max"', '"最大"'), "'\"最大\"' where the English cell has '\"max\"'"),
        (("### END SOLUTION", "### 结束"), "'### 结束' where"),
        (('plt.title("Sobel x")', "plt.title('Sobel x 方向')"), "not written with the quotes"),
        (("(2, 2), f", '(2, 2), "" f'), "tokens, the English cell"),
    ],
)
def test_the_drift_check_catches_any_change_beyond_the_translatable_text(edit, found):
    assert found in code_cells.drift(CHECK_CELL, CHECK_CELL.replace(*edit))


@pytest.mark.parametrize(
    "msgstr, problem",
    [
        ("形状应为 (2, 2)，得到 {Y.shape}", "keeps the {…} fields ['{Y.shape}']"),
        ("形状应为 (2, 2)，得到 {tuple(Y.shape)}\n", None),  # one literal may span lines
        ("形状应为 (2, 2)，得到 {tuple(Y.shape)}", None),
    ],
)
def test_a_code_translation_must_keep_its_fields_and_lines(msgstr, problem):
    piece = code_cells.pieces(CHECK_CELL)[1]
    found = code_cells.piece_problem(piece, msgstr)
    assert found == problem if problem is None else problem in found


def test_joined_literals_take_one_line_of_the_translation_each():
    piece = code_cells.pieces(CHECK_CELL)[2]
    assert "has 1 line(s), the English 2" in code_cells.piece_problem(piece, "一行 {name}")


CODE_LESSON = 'print("the output shape:", Y.shape)  # one window per value\n'


def write_code_lesson(english_dir, source=CODE_LESSON):
    notebook = lesson(INTRO)
    notebook.cells[1] = code_cell("c0", source)
    nbformat.write(notebook, english_dir / "01_a.ipynb")


def test_update_adds_code_entries_with_their_context_and_cell(edition):
    english_dir, chinese_dir = edition
    write_code_lesson(english_dir)
    translation.update(english_dir, chinese_dir)
    po = catalogue(chinese_dir)
    assert [(entry.msgctxt, entry.msgid, entry.occurrences) for entry in po][1:] == [
        ("code", "the output shape:", [("01_a.ipynb:c0", "")]),
        ("comment", "one window per value", [("01_a.ipynb:c0", "")]),
    ]
    problems = translation.check(english_dir, chinese_dir)
    assert (translation.UNTRANSLATED, "01_a.ipynb", "cell 2 (id c0)") in kinds_and_cells(problems)


def test_a_code_cell_keeps_its_chinese_outputs_until_its_chinese_source_changes(edition):
    english_dir, chinese_dir = edition
    write_code_lesson(english_dir)
    make_zh(english_dir, chinese_dir)
    translate(
        english_dir,
        chinese_dir,
        {
            INTRO: CHINESE[INTRO],
            "the output shape:": "输出形状：",
            "one window per value": "每个值一个窗口",
        },
    )
    path = chinese_dir / "01_a.ipynb"
    built = nbformat.read(path, as_version=4).cells[1]
    assert built.source == 'print("输出形状：", Y.shape)  # 每个值一个窗口\n'
    assert (built.outputs, built.execution_count) == ([], None), "a changed cell is not run"
    assert kinds_and_cells(translation.check(english_dir, chinese_dir)) == {
        (translation.NOT_EXECUTED, "01_a.ipynb", "cell 2 (id c0)")
    }
    pretend_to_execute(chinese_dir)
    ran = path.read_text(encoding="utf-8")
    assert translation.build(english_dir, chinese_dir) == [] and path.read_text("utf-8") == ran
    assert translation.check(english_dir, chinese_dir) == []
    write_code_lesson(english_dir, CODE_LESSON.replace("the output shape", "the output's shape"))
    make_zh(english_dir, chinese_dir)
    entry = catalogue(chinese_dir).find("the output's shape:", msgctxt="code")
    assert entry.fuzzy and entry.previous_msgid == "the output shape:"
    cell = nbformat.read(path, as_version=4).cells[1]
    assert "the output's shape:" in cell.source, "a fuzzy translation is not used"
    assert kinds_and_cells(translation.check(english_dir, chinese_dir)) == {
        (translation.FUZZY, "01_a.ipynb", "cell 2 (id c0)")
    }


def test_a_translation_that_does_not_parse_is_reported_and_not_used(edition):
    english_dir, chinese_dir = edition
    write_code_lesson(english_dir)
    make_zh(english_dir, chinese_dir)
    translate(
        english_dir,
        chinese_dir,
        {INTRO: CHINESE[INTRO], "the output shape:": '输出"形状', "one window per value": "窗口"},
    )
    assert nbformat.read(chinese_dir / "01_a.ipynb", as_version=4).cells[1].source == CODE_LESSON
    problems = translation.check(english_dir, chinese_dir)
    assert (translation.CODE_TRANSLATION, "01_a.ipynb", "cell 2 (id c0)") in kinds_and_cells(
        problems
    )


def test_execute_names_notebooks_by_their_start(edition):
    english_dir, chinese_dir = edition
    write_lesson(english_dir, INTRO)
    make_zh(english_dir, chinese_dir)
    assert translation.chosen_notebooks(["01"], chinese_dir) == [chinese_dir / "01_a.ipynb"]
    assert translation.chosen_notebooks(None, chinese_dir) == [], "nothing needs running"
    with pytest.raises(ValueError, match="start the name of one notebook .* got '07' \\(0 match"):
        translation.chosen_notebooks(["07"], chinese_dir)
    with pytest.raises(TypeError, match="names must be a list of notebook names"):
        translation.execute("01", chinese_dir)


@pytest.mark.slow
def test_execute_runs_a_chinese_notebook_in_its_folder_in_chinese(edition):
    english_dir, chinese_dir = edition
    source = (
        "import os\nfrom convlab import language\n"
        "print(os.path.basename(os.getcwd()), language.edition_language())"
    )
    write_code_lesson(english_dir, source)
    translation.update(english_dir, chinese_dir)
    translation.build(english_dir, chinese_dir)
    assert translation.execute(None, chinese_dir) == [chinese_dir / "01_a.ipynb"]
    cell = nbformat.read(chinese_dir / "01_a.ipynb", as_version=4).cells[1]
    assert cell.outputs[0].text == "zh zh\n" and cell.execution_count == 1
