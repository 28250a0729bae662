"""Invariants of the committed notebooks (nbval runs them; these check how they are committed)."""

import re
from pathlib import Path

import nbformat
import pytest

from support.lessons import NOTEBOOK_NAMES

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = [REPO / "notebooks" / f"{name}.ipynb" for name in NOTEBOOK_NAMES]
CHINESE_TERMS = {
    "互相关运算": "01_cross_correlation",
    "特征映射": "02_edge_detection",
    "感受野": "02_edge_detection",
    "多通道": "03_multichannel_convolution",
    "汇聚层": "04_pooling",
    "最大汇聚层": "04_pooling",
    "卷积": "01_cross_correlation",
    "卷积核": "01_cross_correlation",
    "填充": "01_cross_correlation",
    "步幅": "01_cross_correlation",
    "全连接层": "01_cross_correlation",
    "平移不变性": "01_cross_correlation",
    "局部性": "01_cross_correlation",
    "边缘检测": "02_edge_detection",
    "输入通道": "03_multichannel_convolution",
    "输出通道": "03_multichannel_convolution",
    "1×1 卷积": "03_multichannel_convolution",
    "平均汇聚层": "04_pooling",
    "池化层": "04_pooling",
    "激活函数": "05_lenet",
    "滤波器": "01_cross_correlation",
    "学习率": "02_edge_detection",
    "训练准确率": "05_lenet",
    "测试准确率": "05_lenet",
    "批量规范化": "06_inside_lenet",
    "自动微分": "01_cross_correlation",
    "超参数": "01_cross_correlation",
    "汇聚窗口": "04_pooling",
    "卷积块": "05_lenet",
    "全连接块": "05_lenet",
    "权重共享": "05_lenet",
    "轮": "05_lenet",
    "批量大小": "05_lenet",
}


def read(path):
    return nbformat.read(path, as_version=4)


def test_the_series_is_exactly_the_lessons_in_order():
    assert sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb")) == NOTEBOOK_NAMES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_NAMES)
def test_committed_executed_top_to_bottom_without_errors(path):
    notebook = read(path)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), (
        "execution counts must be 1..n: re-run the notebook top to bottom before committing"
    )
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"stored error output: {errors[0].ename}"
    assert "widgets" not in notebook.metadata, (
        "widget state is saved in the notebook: turn off saving widget state"
    )


def headings(notebook):
    """(level, text) of every markdown heading, in order, skipping lines inside code fences."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        in_fence = False
        for line in cell.source.splitlines():
            if line.startswith("```"):
                in_fence = not in_fence
            elif not in_fence and (match := re.match(r"(#+) (.*)", line)):
                found.append((len(match[1]), match[2]))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_NAMES)
def test_lesson_template(path):
    """Title "NN · …" with an Objective, sections "1. …" to "k. …", Summary, Exercises."""
    notebook = read(path)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.stem[:2]} · "), (
        f"{path.name}: the first cell must start with the title '# {path.stem[:2]} · …'"
    )
    assert "**Objective.**" in first.source, (
        f"{path.name}: the title cell states the **Objective.**"
    )
    found = headings(notebook)
    assert [text for level, text in found if level == 1] == [first.source[2:].splitlines()[0]]
    sections = [text for level, text in found if level == 2]
    numbered, closing = sections[:-2], sections[-2:]
    assert closing == ["Summary", "Exercises"], f"{path.name}: end with Summary, Exercises"
    for number, text in enumerate(numbered, 1):
        assert text.startswith(f"{number}. "), f"{path.name}: section {number} is '{text}'"
    after_exercises = found[found.index((2, "Exercises")) + 1 :]
    for number, (level, text) in enumerate(after_exercises, 1):
        assert level == 3 and re.fullmatch(
            rf"Exercise {number} \((autograded|to think about)\): .+", text
        ), f"{path.name}: exercise heading {number} is '{text}'"
    autograded = [text for _, text in after_exercises if "(autograded)" in text]
    solutions = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(autograded) == len(solutions), f"{path.name}: one solution cell per autograded one"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_NAMES)
def test_checked_cells_have_outputs_to_compare(path):
    checked = [
        cell
        for cell in read(path).cells
        if cell.cell_type == "code" and "nbval-check-output" in cell.metadata.get("tags", [])
    ]
    assert checked, "stated results must be in cells tagged nbval-check-output"
    assert all(cell.outputs for cell in checked), (
        "a checked cell with no stored output checks nothing"
    )


def output_texts(cell):
    for output in cell.get("outputs", []):
        yield output.get("text", "")
        yield output.get("data", {}).get("text/plain", "")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_NAMES)
def test_stored_progress_bars_are_finished(path):
    """A reader without a kernel sees how training ended, not a bar frozen at its start."""
    for index, cell in enumerate(read(path).cells):
        for text in output_texts(cell):
            for percent in re.findall(r"(\d+)%\|", text):
                assert percent == "100", (
                    f"{path.name} cell {index}: stored progress bar at {percent}%"
                )
            assert "IntProgress" not in text, f"{path.name} cell {index}: stored progress widget"
            for done, total in re.findall(r"(\d+)/(\d+) steps", text):
                assert done == total, f"{path.name} cell {index}: stored progress {done}/{total}"


WRITES = re.compile(r"savefig\(|write_text\(|write_bytes\(|torch\.save\(|open\([^)]*['\"][wa]")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_NAMES)
def test_notebook_code_writes_no_files_and_uses_no_relative_paths(path):
    """Running a lesson never rewrites a tracked file, and its code runs from any folder (the
    Chinese edition runs the same code from notebooks/zh/)."""
    for index, cell in enumerate(read(path).cells):
        if cell.cell_type == "code":
            assert not WRITES.search(cell.source), f"{path.name} cell {index} writes a file"
            assert "../" not in cell.source, f"{path.name} cell {index} uses a relative path"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_NAMES)
def test_figure_links_point_to_existing_files(path):
    notebook = read(path)
    links = [
        link
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for link in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", cell.source)
    ]
    for link in links:
        assert (path.parent / link).resolve().is_file(), f"{path.name} links to missing {link}"


@pytest.mark.parametrize("term,name", CHINESE_TERMS.items())
def test_key_terms_are_given_in_chinese_and_in_the_glossary(term, name):
    notebook = read(REPO / "notebooks" / f"{name}.ipynb")
    assert any(term in cell.source for cell in notebook.cells if cell.cell_type == "markdown"), (
        f"{name} should give the Chinese term {term} at the term's first use"
    )
    assert term in (REPO / "README.md").read_text(encoding="utf-8"), f"README glossary lacks {term}"


def test_widget_cells_are_not_compared_by_nbval():
    for path in NOTEBOOKS:
        for cell in read(path).cells:
            if cell.cell_type == "code" and re.search(
                r"\b(KernelEditor|PoolingExplorer|ConvShapeExplorer)\(", cell.source
            ):
                assert "nbval-ignore-output" in cell.metadata.get("tags", []), (
                    f"{path.name}: untagged widget cell"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_NAMES)
def test_no_test_markers_in_what_a_learner_reads(path):
    """nbval's markers are cell tags: a learner reads no NBVAL comment in the code."""
    for index, cell in enumerate(read(path).cells):
        assert "NBVAL" not in cell.source, f"{path.name} cell {index}: use a tag, not a comment"


MAX_PROSE_WORDS = 2800  # a lesson a learner finishes in one sitting; longer passages move out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_NAMES)
def test_lesson_prose_fits_one_sitting(path):
    """Markdown words (every whitespace-separated token, as a reviewer counts them)."""
    words = sum(len(c.source.split()) for c in read(path).cells if c.cell_type == "markdown")
    assert words <= MAX_PROSE_WORDS, f"{path.name}: {words} words of prose, over {MAX_PROSE_WORDS}"
