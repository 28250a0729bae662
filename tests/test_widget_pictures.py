"""The still picture every lesson widget leaves in its cell's output, for readers without a kernel.

A widget shown as a cell's value displays a bundle: the ipywidgets view (JupyterLab draws the live
widget from it), an ``image/png`` of the widget's state when it was shown (what GitHub, nbviewer and
nbconvert's HTML show, and JupyterLab for a notebook it does not trust) and a one-line
``text/plain`` naming the widget instead of ``HBox(children=…``.
"""

import base64
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from IPython.core.formatters import DisplayFormatter
from PIL import Image

import helpers
from convlab.widgets import still
from support.lessons import first_examples

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
RUN_IT = "(run the lesson in JupyterLab to use it)"


@pytest.fixture(scope="module")
def data(fashion):
    return first_examples(fashion, 10, 300)


def conv_shape(data):
    return helpers.ConvShapeExplorer()


def kernel_editor(data):
    return helpers.KernelEditor(data.test_images, data.test_labels, data.classes)


def pooling_explorer(data):
    images = {"edge image (6×8)": helpers.edge_image(), "test image 0": data.test_images[0]}
    return helpers.PoolingExplorer(images)


def lenet_explorer(data):
    torch.manual_seed(0)
    return helpers.LeNetExplorer(helpers.lenet("notes"), data)


# (build the widget as a lesson does, change its state the way a learner would)
WIDGETS = {
    "Output-shape explorer": (conv_shape, lambda w: setattr(w.stride, "value", 1)),
    "Kernel editor": (kernel_editor, lambda w: setattr(w.preset, "value", "Laplacian")),
    "Pooling explorer": (pooling_explorer, lambda w: setattr(w.mode, "value", "avg")),
    "LeNet explorer": (lenet_explorer, lambda w: w.choose(3, 1)),
}


@pytest.fixture(params=list(WIDGETS), ids=lambda name: name.split()[0].lower())
def widget(request, data):
    build, _ = WIDGETS[request.param]
    return build(data)


def shown(widget):
    """What IPython puts in the cell's output for ``widget`` as a cell's value: (data, metadata)."""
    return DisplayFormatter().format(widget)


def picture(bundle):
    """The bundle's PNG as an RGB array (h×w×3 uint8), after checking it is a whole PNG."""
    raw = base64.b64decode(bundle["image/png"], validate=True)
    assert raw.startswith(b"\x89PNG\r\n\x1a\n"), "image/png must hold PNG bytes, base64"
    Image.open(io.BytesIO(raw)).verify()  # the whole file, checksums included
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


def test_the_bundle_keeps_the_live_view_and_adds_a_picture_and_a_line(widget):
    bundle, metadata = shown(widget)
    assert bundle[WIDGET_VIEW]["model_id"] == widget.ui.model_id, "the live view must stay"
    pixels = picture(bundle)
    height, width, _ = pixels.shape
    assert 500 <= width <= 1400 and 300 <= height <= 1200, f"odd picture size {width}×{height}"
    assert (pixels != 255).any(axis=2).mean() > 0.05, "the picture is (nearly) blank"
    text = bundle["text/plain"]
    assert text.startswith(f"{widget.NAME}: ") and text.endswith(RUN_IT), text
    assert "\n" not in text and "children=" not in text, text
    assert len(text) <= 200, f"text/plain should be one short line, got {len(text)} characters"
    alt = metadata["image/png"]["alt"]  # for a site template (nbconvert 7.17 writes no alt)
    assert alt.startswith(f"{widget.NAME} as it was shown: ") and widget.state_line() in alt, alt


def test_the_picture_holds_the_widgets_own_picture(widget):
    """The main picture appears pixel for pixel inside the still picture, under the lines."""
    card = picture(shown(widget)[0])
    main = widget.main_picture()
    main = still.decode_png(main) if isinstance(main, bytes) else main.convert("RGB")
    main = np.asarray(main)
    height, width, _ = main.shape
    left = still.MARGIN
    tops = [
        top
        for top in range(card.shape[0] - height)
        if np.array_equal(card[top, left : left + width], main[0])
        and np.array_equal(card[top : top + height, left : left + width], main)
    ]
    assert tops, "the widget's own picture is not in its still picture"
    assert tops[0] >= 3 * still.SIZES["text"], "the lines should come above the picture"


def test_the_picture_follows_the_widgets_state(data):
    for name, (build, change) in WIDGETS.items():
        widget = build(data)
        first = shown(widget)[0]
        assert shown(widget)[0]["image/png"] == first["image/png"], f"{name}: not deterministic"
        change(widget)
        second = shown(widget)[0]
        assert second["image/png"] != first["image/png"], f"{name}: picture ignores the change"
        assert second["text/plain"] != first["text/plain"], f"{name}: text ignores the change"


def test_the_lines_carry_the_numbers_a_reader_needs(data):
    shape = conv_shape(data)
    lines = shape.picture_lines()
    assert "input n = 8, kernel k = 3, padding p = 1, stride s = 2" in lines
    assert any(line.endswith(f"= {shape.output_size}") for line in lines), lines
    assert shape.window_text in lines
    assert "output 4×4" in shape.text_summary()

    editor = kernel_editor(data)
    mono = [line[1] for line in editor.picture_lines() if isinstance(line, tuple)]
    assert [row.split() for row in mono] == [["-1", "0", "1"], ["-2", "0", "2"], ["-1", "0", "1"]]
    assert "; ".join(editor.picture_lines()[-2:]) == editor.summary.value

    pooling = pooling_explorer(data)
    assert {pooling.shape_text, pooling.window_text} <= set(pooling.picture_lines())
    assert "2×2 max pooling, stride 2, padding 0" in pooling.text_summary()

    explorer = lenet_explorer(data)
    best = data.classes[int(explorer.probabilities.argmax())]
    assert best in explorer.text_summary() and explorer.view.caption in explorer.picture_lines()


def test_an_invalid_setting_is_pictured_with_its_message(data):
    shape = helpers.ConvShapeExplorer(input_size=5, kernel_size=7, padding=0, stride=1)
    assert "the kernel does not fit" in shape.text_summary()
    assert ("error", shape.message) in shape.picture_lines() and shape.message
    picture(shown(shape)[0])
    pooling = helpers.PoolingExplorer(pool_size=3, padding=2)
    assert pooling.message and pooling.message in pooling.text_summary()
    picture(shown(pooling)[0])


def test_the_picture_is_drawn_only_when_asked_for(widget):
    bundle, _ = DisplayFormatter().format(widget, include={"text/plain", WIDGET_VIEW})
    assert "image/png" not in bundle and WIDGET_VIEW in bundle
    data, metadata = widget._repr_mimebundle_(exclude={"image/png"})
    assert "image/png" not in data and not metadata


def test_the_picture_is_cheap(widget):
    """Drawn once per display: well under 100 ms of CPU time (process time, so a busy machine
    does not make it look slow)."""
    widget._repr_mimebundle_()  # fonts loaded once per process
    times = []
    for _ in range(3):
        start = time.process_time()
        widget._repr_mimebundle_()
        times.append(time.process_time() - start)
    assert min(times) < 0.1, f"{widget.NAME}: {1000 * min(times):.0f} ms to display"


def test_long_lines_wrap_within_the_width():
    text = "Y[1, 0] = " + " + ".join(f"{i}·{i + 1}" for i in range(40)) + " = 22140"
    lines = still.wrap(text, 400)
    assert len(lines) > 1 and " ".join(lines) == text
    assert all(still.text_width(line) <= 400 for line in lines)
    assert still.wrap("short", 400) == ["short"]


def test_matrix_lines_align_the_columns():
    lines = still.matrix_lines(torch.tensor([[1 / 9, -2.0], [0.0, -0.0]]))
    assert [text for _, text in lines] == ["  0.1111      -2", "       0       0"]


def widget_outputs(path):
    notebook = json.loads(path.read_text())
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                yield index, output["data"]


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("0*.ipynb")), ids=lambda p: p.stem)
def test_stored_widget_outputs_carry_a_picture(path):
    """What a reader without a kernel sees where a lesson shows a widget: a picture and a line
    naming the widget, not ``HBox(children=…``. (Re-executing the lesson stores them.)"""
    for index, data in widget_outputs(path):
        assert "image/png" in data, f"{path.name} cell {index}: widget output without a picture"
        text = "".join(data["text/plain"])  # nbformat may store it as a list of lines
        assert "children=" not in text, f"{path.name} cell {index}: widget repr instead of a line"
