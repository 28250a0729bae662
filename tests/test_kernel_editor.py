"""Headless tests of helpers.KernelEditor: every control is set through ``.value`` (as the browser
does) and the state the editor computes is compared with helpers.corr2d on the same image and
kernel."""

import numpy
import pytest
import torch

import helpers

CLASSES = ["circle", "square", "cross"]


@pytest.fixture
def data():
    """Twelve small random images (n×1×10×9) with labels 0, 1, 2, 0, 1, 2, …"""
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(12, 1, 10, 9, generator=generator)
    labels = torch.arange(12) % 3
    return images, labels


@pytest.fixture
def editor(data):
    images, labels = data
    return helpers.KernelEditor(images=images, labels=labels, classes=CLASSES)


def assert_consistent(editor):
    """The feature map is the loop cross-correlation of the image shown with the cells' kernel;
    the window inspector below the picture shows that same map (tests/test_window_inspector.py)."""
    expected = helpers.corr2d(editor.image, editor.kernel)
    assert editor.feature_map.shape == expected.shape
    assert torch.allclose(editor.feature_map, expected, atol=1e-5)
    assert torch.equal(editor.relu_map, editor.feature_map.clamp(min=0))
    assert editor.picture.value == editor.figure_png
    assert editor.figure_png.startswith(b"\x89PNG")
    inspected = numpy.frombuffer(editor.inspector.feature_map, dtype="<f4")
    assert numpy.array_equal(inspected, editor.feature_map.flatten().numpy())


def test_without_images_only_the_edge_image_is_offered():
    editor = helpers.KernelEditor()
    assert [value for _, value in editor.image_source.options] == ["edge"]
    assert torch.equal(editor.image, helpers.edge_image())
    assert editor.image_class.disabled and editor.image_index.disabled
    assert editor.redraw_count == 1
    assert_consistent(editor)


def test_starts_on_the_first_dataset_image_with_the_sobel_x_kernel(editor, data):
    images, _ = data
    assert editor.image_source.value == "dataset"
    assert torch.equal(editor.image, images[0, 0])
    assert torch.equal(editor.kernel, helpers.classic_kernels()["sobel_x"])
    assert_consistent(editor)


@pytest.mark.parametrize("size", [3, 5])
def test_editing_each_cell_changes_that_entry_and_selects_custom(editor, size):
    editor.size.value = size
    editor.preset.value = "identity"
    for i in range(size):
        for j in range(size):
            before = editor.redraw_count
            value = -1.5 - i - 0.25 * j
            editor.cells[i][j].value = value
            assert editor.kernel[i, j].item() == value
            assert editor.preset.value == "custom"
            assert editor.redraw_count == before + 1
            assert_consistent(editor)


@pytest.mark.parametrize("size", [3, 5])
def test_each_preset_fills_the_grid_with_exactly_one_redraw(editor, size):
    editor.size.value = size
    presets = helpers.editor_presets(size)
    for name in presets:
        editor.preset.value = "custom"
        editor.cells[0][0].value = 7.0  # make sure every preset changes the grid
        before = editor.redraw_count
        editor.preset.value = name
        assert editor.redraw_count == before + 1, (
            f"preset {name!r} redrew {editor.redraw_count - before} times"
        )
        assert torch.equal(editor.kernel, presets[name])
        assert editor.kernel.shape == (size, size)
        assert_consistent(editor)


def test_3x3_presets_are_the_classic_kernels(editor):
    classic = helpers.classic_kernels()
    for label, name in [
        ("Sobel x", "sobel_x"),
        ("Sobel y", "sobel_y"),
        ("Laplacian", "laplacian"),
        ("box blur", "box_blur"),
        ("Gaussian blur", "gaussian_blur"),
        ("sharpen", "sharpen"),
        ("emboss", "emboss"),
        ("identity", "identity"),
    ]:
        editor.preset.value = label
        assert torch.allclose(editor.kernel, classic[name])


@pytest.mark.parametrize("size", [3, 5])
def test_edge_preset_embeds_the_1x2_kernel(size):
    editor = helpers.KernelEditor(preset="edge [1, -1]", size=size)
    X, margin = helpers.edge_image(), (size - 1) // 2
    expected = helpers.corr2d(X, torch.tensor([[1.0, -1.0]]))
    # the 1×2 kernel sits in the middle row, one column left of centre: a cropped copy of its output
    left = (size - 2) // 2
    assert torch.equal(
        editor.feature_map,
        expected[margin : X.shape[0] - margin, left : left + X.shape[1] - size + 1],
    )
    assert editor.feature_map.abs().sum() > 0


@pytest.mark.parametrize("size", [3, 5])
def test_blur_presets_keep_the_brightness_of_a_flat_patch(size):
    presets = helpers.editor_presets(size)
    for name in ("box blur", "Gaussian blur"):
        assert presets[name].sum().item() == pytest.approx(1.0)
        assert (presets[name] > 0).all(), (
            f"the {size}×{size} {name} should average over the whole window"
        )


def test_switching_to_5x5_and_back(editor, data):
    images, _ = data
    editor.preset.value = "Laplacian"
    before = editor.redraw_count
    editor.size.value = 5
    assert editor.redraw_count == before + 1
    assert len(editor.cells) == 5 and all(len(row) == 5 for row in editor.cells)
    assert len(editor.grid.children) == 25
    assert editor.preset.value == "Laplacian"
    assert torch.equal(editor.kernel, helpers.editor_presets(5)["Laplacian"])
    assert editor.feature_map.shape == (images.shape[2] - 4, images.shape[3] - 4)
    assert_consistent(editor)
    editor.size.value = 3
    assert len(editor.grid.children) == 9
    assert torch.equal(editor.kernel, helpers.classic_kernels()["laplacian"])
    assert_consistent(editor)


def test_a_custom_kernel_is_zero_padded_to_5x5_and_cropped_back(editor):
    values = torch.arange(9.0).reshape(3, 3) - 4
    for cell, value in zip(editor.grid.children, values.flatten().tolist()):
        cell.value = value
    editor.size.value = 5
    assert editor.preset.value == "custom"
    assert torch.equal(editor.kernel[1:4, 1:4], values)
    assert editor.kernel.abs().sum() == values.abs().sum()  # the border is zeros
    editor.size.value = 3
    assert torch.equal(editor.kernel, values)


def test_negative_entries_survive_and_the_bounds_are_explicit(editor):
    for cell in editor.grid.children:
        assert cell.min == -helpers.KERNEL_ENTRY_BOUND and cell.max == helpers.KERNEL_ENTRY_BOUND
    editor.cells[1][1].value = -7.5
    assert editor.kernel[1, 1].item() == -7.5
    assert editor.feature_map.min() < 0, "a negative kernel entry must give negative responses"
    assert_consistent(editor)
    editor.cells[1][1].value = -25.0  # beyond the bound: clamped, not zeroed
    assert editor.kernel[1, 1].item() == -helpers.KERNEL_ENTRY_BOUND


def test_relu_map_removes_exactly_the_negative_responses(editor):
    editor.preset.value = "Sobel x"
    assert (editor.feature_map < 0).any() and (editor.feature_map > 0).any()
    assert torch.equal(editor.relu_map, editor.feature_map.clamp(min=0))
    assert (editor.relu_map >= 0).all()


def test_choosing_custom_in_the_dropdown_keeps_the_kernel(editor):
    editor.preset.value = "emboss"
    before, kernel = editor.redraw_count, editor.kernel
    editor.preset.value = "custom"
    assert torch.equal(editor.kernel, kernel)
    assert editor.redraw_count == before


def test_image_by_index(editor, data):
    images, _ = data
    for index in (3, 5, 11):
        before = editor.redraw_count
        editor.image_index.value = index
        assert editor.redraw_count == before + 1
        assert torch.equal(editor.image, images[index, 0])
        assert_consistent(editor)
    editor.image_index.value = 99  # beyond the data: clamped to the last image
    assert torch.equal(editor.image, images[-1, 0])


def test_image_by_class_restarts_at_that_class_first_image(editor, data):
    images, labels = data
    editor.image_index.value = 7
    for c in range(len(CLASSES)):
        before = editor.redraw_count
        editor.image_class.value = c
        assert editor.redraw_count == before + 1, "a class change should draw once"
        members = (labels == c).nonzero().flatten()
        assert editor.image_index.value == 0 and editor.image_index.max == len(members) - 1
        editor.image_index.value = 2
        assert torch.equal(editor.image, images[members[2], 0])
        assert CLASSES[c] in editor._image_title()
        assert_consistent(editor)
    editor.image_class.value = -1
    assert editor.image_index.max == len(images) - 1


def test_switching_the_source_to_the_edge_image(editor):
    editor.image_source.value = "edge"
    assert torch.equal(editor.image, helpers.edge_image())
    assert editor.image_class.disabled and editor.image_index.disabled
    for size in (3, 5):
        editor.size.value = size
        for name in helpers.editor_presets(size):
            editor.preset.value = name
            assert_consistent(editor)
    editor.image_source.value = "dataset"
    assert not editor.image_index.disabled
    assert editor.image.shape == (10, 9)


def test_css_classes_for_the_browser_test(editor):
    for cell in editor.grid.children:
        assert "kernel-cell" in cell._dom_classes
    assert "kernel-preset" in editor.preset._dom_classes
    assert "kernel-feature-map" in editor.picture._dom_classes


def test_every_control_is_named_by_what_it_sets(editor):
    """ipywidgets 8 ties ``description`` to the control (``<label for>``): its accessible name."""
    names = [cell.description for cell in editor.grid.children]
    assert names[:4] == [
        "kernel row 1 column 1",
        "kernel row 1 column 2",
        "kernel row 1 column 3",
        "kernel row 2 column 1",
    ]
    assert names[-1] == "kernel row 3 column 3"
    for control, name in [
        (editor.size, "kernel size"),
        (editor.preset, "preset"),
        (editor.image_source, "image"),
        (editor.image_class, "class"),
        (editor.image_index, "index"),
    ]:
        assert control.description == name
    editor.size.value = 5
    assert editor.grid.children[-1].description == "kernel row 5 column 5"


def test_the_picture_alt_text_follows_kernel_and_image(editor, data):
    images, _ = data
    alt = editor.picture.alt
    fmap = editor.feature_map
    assert alt.startswith("Three pictures: test image 0 (circle) 10×9, values ")
    assert f"feature map 8×7 of the Sobel x kernel on it, values {fmap.min().item():.3g} to " in alt
    assert alt.endswith(f"after ReLU, values 0 to {editor.relu_map.max().item():.3g}.")
    editor.preset.value = "Laplacian"
    assert "of the Laplacian kernel" in editor.picture.alt
    editor.image_index.value = 2
    assert editor.picture.alt.startswith("Three pictures: test image 2 (cross) 10×9")
    editor.size.value = 5
    assert "feature map 6×5 of the Laplacian kernel" in editor.picture.alt


def test_displays_as_its_widget_tree(editor):
    bundle, _ = editor._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == editor.ui.model_id


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"images": [[0.0]]}, TypeError, "images"),
        (
            {"images": torch.rand(3, 2, 9, 9), "labels": torch.zeros(3, dtype=torch.long)},
            ValueError,
            "one channel",
        ),
        (
            {"images": torch.rand(3, 4, 4), "labels": torch.zeros(3, dtype=torch.long)},
            ValueError,
            "5×5",
        ),
        ({"images": torch.rand(3, 9, 9)}, TypeError, "labels"),
        (
            {"images": torch.rand(3, 9, 9), "labels": torch.zeros(2, dtype=torch.long)},
            ValueError,
            "2 labels for 3",
        ),
        (
            {"images": torch.rand(3, 9, 9), "labels": torch.tensor([0, 1, 3]), "classes": CLASSES},
            ValueError,
            "0..2",
        ),
        ({"labels": torch.zeros(3, dtype=torch.long)}, ValueError, "pass images"),
        ({"preset": "blur"}, ValueError, "preset"),
        ({"size": 4}, ValueError, "size"),
    ],
)
def test_bad_arguments_name_what_is_wrong(kwargs, error, words):
    with pytest.raises(error, match=words):
        helpers.KernelEditor(**kwargs)
