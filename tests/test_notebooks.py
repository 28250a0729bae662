"""Invariants of the committed notebooks (nbval runs them; these check how they are committed)."""

import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_NAMES = [
    "01_cross_correlation",
    "02_edge_detection",
    "03_multichannel_convolution",
    "04_pooling",
    "05_lenet",
]
NOTEBOOKS = [REPO / "notebooks" / f"{name}.ipynb" for name in NOTEBOOK_NAMES]
CHINESE_TERMS = {
    "互相关运算": "01_cross_correlation",
    "特征映射": "02_edge_detection",
    "感受野": "02_edge_detection",
    "多通道": "03_multichannel_convolution",
    "汇聚层": "04_pooling",
    "最大汇聚层": "04_pooling",
}


def read(path):
    return nbformat.read(path, as_version=4)


def test_the_series_is_exactly_the_five_lessons_in_order():
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_NAMES)
def test_lesson_shape_and_checked_cells(path):
    notebook = read(path)
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert re.search(r"objective", markdown, re.IGNORECASE), "a lesson states its objective"
    assert "## Exercises" in markdown, "a lesson ends with exercises"
    checked = [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in cell.source
    ]
    assert checked, "stated results must be in # NBVAL_CHECK_OUTPUT cells"
    assert all(cell.outputs for cell in checked), (
        "a checked cell with no stored output checks nothing"
    )


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
