"""KernelEditor (notebook 02): type a kernel, see its feature map (特征映射) on an image."""

import io

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from convlab.data import check_labels
from convlab.language import N_, _
from convlab.plotting import SIGNED_CMAP, write_values
from convlab.widgets.base import LessonWidget, PictureWithAlt
from convlab.widgets.still import matrix_lines
from convlab.widgets.window_inspector import WindowInspector
from helpers import check_choice, check_tensor, classic_kernels, corr2d_vectorized, edge_image

KERNEL_ENTRY_BOUND = 10.0  # each kernel entry in the editor lies in [−10, 10]
EDITOR_SIZES = (3, 5)
# Every word of the editor a learner reads or hears, in one place: English message ids,
# translated where they are shown (``_(TEXTS[...])``).
TEXTS = {
    "size": N_("kernel size"),
    "preset": N_("preset"),
    "image": N_("image"),
    "class": N_("class"),
    "index": N_("index"),
    "cell": N_("kernel row {row} column {column}"),
    "alt": N_(
        "Three pictures: {image} {h}×{w}, values {image_low} to {image_high}; feature map "
        "{oh}×{ow} of the {kernel} kernel on it, values {low} to {high}, blue below 0 and red "
        "above; the same feature map after ReLU, values 0 to {relu_high}."
    ),
    "custom": N_("custom"),
    "edge_source": N_("6×8 edge image"),
    "dataset_source": N_("Fashion-MNIST test image"),
    "all_classes": N_("all classes"),
    "test_image": N_("test image {number} ({name})"),
    "input_title": N_("input: {image}"),
    "map_title": N_("feature map ({kernel})"),
    "relu_title": N_("{title} after ReLU"),
    "map_range": N_("feature map {h}×{w}: min {low}, max {high}"),
    "kernel_sum": N_("kernel sum {sum} (the response to a flat patch of brightness 1)"),
    "summary": N_("{map_range}; {kernel_sum}"),
    "state": N_("{kernel} kernel ({k}×{k}) on the {image} → feature map {h}×{w}"),
    "kernel_line": N_("kernel {k}×{k}, preset: {preset}"),
    "image_line": N_("image: {image}"),
}
CUSTOM = "custom"  # the preset drop-down's value once an entry is edited


# ipywidgets 8 ties a control's ``description`` to it (``<label for>``): its accessible name. The
# kernel entries' names ("kernel row 1 column 2") are for screen readers only: the grid shows
# where an entry is, so their labels are hidden visually (still read out).
HIDDEN_CELL_LABELS = """<style>
.kernel-cell .widget-label { position: absolute; width: 1px; height: 1px; overflow: hidden;
                             clip-path: inset(50%); white-space: nowrap; margin: 0; }
</style>"""


def embed_centred(kernel, size):
    """Place a kh×kw kernel in the middle of a size×size zero kernel (one cell up/left of centre
    when kh or kw is even). kernel: kh×kw with kh, kw ≤ size  →  size×size."""
    kh, kw = kernel.shape
    top, left = (size - kh) // 2, (size - kw) // 2
    embedded = torch.zeros(size, size)
    embedded[top : top + kh, left : left + kw] = kernel
    return embedded


def crop_centre(kernel, size):
    """The middle size×size block of a larger square kernel."""
    start = (kernel.shape[0] - size) // 2
    return kernel[start : start + size, start : start + size]


def editor_presets(size):
    """The KernelEditor's named kernels as size×size tensors (size 3 or 5).

    The ``classic_kernels`` are embedded centred in zeros; at size 5 the two blurs average over the
    whole 5×5 window instead (the Gaussian one with binomial weights 1 4 6 4 1).
    """
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(
            _("size must be an int (3 or 5), got {type} {value!r}").format(
                type=type(size).__name__, value=size
            )
        )
    check_choice("size", size, EDITOR_SIZES)
    classic = classic_kernels()
    labels = {  # the English names are the drop-down's values; it shows them translated
        N_("identity"): "identity",
        N_("box blur"): "box_blur",
        N_("Gaussian blur"): "gaussian_blur",
        N_("sharpen"): "sharpen",
        N_("Sobel x"): "sobel_x",
        N_("Sobel y"): "sobel_y",
        N_("Laplacian"): "laplacian",
        N_("emboss"): "emboss",
        N_("edge [1, -1]"): "edge",
    }
    presets = {label: embed_centred(classic[name], size) for label, name in labels.items()}
    if size == 5:
        binomial = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0])
        presets["box blur"] = torch.full((5, 5), 1 / 25)
        presets["Gaussian blur"] = torch.outer(binomial, binomial) / 256
    return presets


def check_editor_images(images, labels, classes):
    """Return (images n×h×w, labels n, class names), or (None, None, []) without images."""
    if images is None:
        if labels is not None or classes is not None:
            raise ValueError(
                _("labels and classes describe images: pass images too, or none of the three")
            )
        return None, None, []
    check_tensor("images", images, (3, 4), "n×h×w or n×1×h×w")
    if images.dim() == 4:
        if images.shape[1] != 1:
            raise ValueError(
                _("images must have one channel (n×1×h×w), got shape {shape}").format(
                    shape=tuple(images.shape)
                )
            )
        images = images[:, 0]
    images = images.detach().cpu()
    if min(images.shape[-2:]) < max(EDITOR_SIZES):
        raise ValueError(
            _("images must be at least {k}×{k} so a {k}×{k} kernel fits, got shape {shape}").format(
                k=max(EDITOR_SIZES), shape=tuple(images.shape)
            )
        )
    if classes is None and isinstance(labels, torch.Tensor) and labels.numel():
        classes = [str(c) for c in range(int(labels.max()) + 1)]
    check_labels("labels", labels, len(images), len(classes or []))
    return images, labels, list(classes)


class FeatureMapFigure:
    """The KernelEditor's picture: the input (grey), its feature map and the feature map after ReLU
    side by side. Both maps share one colour bar: a diverging scale centred on 0 (blue < 0 < red),
    so the ReLU panel is the feature map with its blue part gone. Arrays of ≤ 64 values get them
    written in.

    The figure is built once and afterwards only its data change, because building axes and colour
    bars is most of the cost of a picture; another image or kernel shape rebuilds it. The layout is
    fixed, so it is saved without a tight bounding box (which would draw it twice) and kept open.
    """

    def __init__(self):
        self._shapes = None

    def _build(self, image_shape, map_shape):
        self.fig = Figure(figsize=(10, 3.4), dpi=80)  # not pyplot: nothing keeps it globally
        self.axes = [self.fig.add_axes([0.01 + 0.3 * i, 0.03, 0.27, 0.8]) for i in range(3)]
        panels = ((image_shape, "gray"), (map_shape, SIGNED_CMAP), (map_shape, SIGNED_CMAP))
        self.shown = [
            ax.imshow(torch.zeros(shape).numpy(), cmap=cmap)
            for ax, (shape, cmap) in zip(self.axes, panels)
        ]
        bar_axes = self.fig.add_axes([0.915, 0.08, 0.015, 0.7])
        self.colorbar = self.fig.colorbar(self.shown[1], cax=bar_axes)
        for ax in self.axes:
            ax.set_xticks([])
            ax.set_yticks([])
        self.value_labels = []
        self._shapes = (image_shape, map_shape)

    def png(self, image, feature_map, relu_map, titles):
        """PNG bytes of the three panels, titled ``titles``. image: h×w; feature_map and
        relu_map: h'×w'."""
        if self._shapes != (tuple(image.shape), tuple(feature_map.shape)):
            self._build(tuple(image.shape), tuple(feature_map.shape))
        limit = max(feature_map.abs().max().item(), 1e-6)  # symmetric: 0 at the centre colour
        panels = (image, feature_map, relu_map)
        for shown, values in zip(self.shown, panels):
            shown.set_data(values.numpy())
        self.shown[0].set_clim(image.min().item(), image.max().item())
        for shown in self.shown[1:]:
            shown.set_clim(-limit, limit)
        self.colorbar.set_ticks([-limit, 0, limit], labels=[f"{-limit:.3g}", "0", f"{limit:.3g}"])
        for ax, title in zip(self.axes, titles):
            ax.set_title(title, fontsize=12)
        self._write_values(panels, limit)
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png")
        return buffer.getvalue()

    def _write_values(self, panels, limit):
        for label in self.value_labels:
            label.remove()
        self.value_labels = []
        image_middle = (panels[0].max() + panels[0].min()).item() / 2
        darkness = (lambda v: v < image_middle, lambda v: abs(v) > 0.6 * limit)
        for ax, values, dark in zip(self.axes, panels, (darkness[0], darkness[1], darkness[1])):
            if values.numel() <= 64:
                self.value_labels += write_values(ax, values, dark, fontsize=10)


class KernelEditor(LessonWidget):
    """Type a 3×3 or 5×5 kernel (or pick a preset) and see its feature map (特征映射) on an image.

    Pictures, side by side: the input, ``corr2d_vectorized(input, kernel)`` on a diverging colour
    map centred on 0, and the same map after ReLU. Below them ``inspector`` (a ``WindowInspector``,
    drawn in the browser): pointing at a feature-map pixel outlines its window on the input and
    lists the products that add up to it. Display the object as the last expression of a cell.

    images: optional n×1×h×w or n×h×w float tensor (e.g. Fashion-MNIST test images, h, w ≥ 5);
    labels: n integer class indices (needed with images); classes: class names (default "0", …).
    Without images only the 6×8 ``edge_image`` can be chosen.

    Controls: ``size`` (3 or 5), ``cells`` (size×size nested list of BoundedFloatText in
    [−10, 10]), ``preset`` (Dropdown: the ``editor_presets`` plus "custom", which an edited cell
    selects), ``image_source`` ("edge" or "dataset"), ``image_class`` (−1 for all classes, else a
    class index), ``image_index`` (the n-th image among those of the chosen class).
    Computed state: ``kernel`` (size×size tensor read from the cells), ``image`` (h×w input shown),
    ``feature_map`` ((h−k+1)×(w−k+1)), ``relu_map``, ``redraw_count``, ``figure_png`` (PNG bytes).
    """

    NAME = N_("Kernel editor")
    LIVE = N_("type a kernel, and point at the feature map to see each pixel's window and products")

    def __init__(self, images=None, labels=None, classes=None, preset="Sobel x", size=3):
        self._images, self._labels, self._classes = check_editor_images(images, labels, classes)
        presets = editor_presets(size)
        check_choice("preset", preset, list(presets))
        super().__init__("kernel")
        self.redraw_count = 0
        self._figure = FeatureMapFigure()
        self.size = widgets.Dropdown(
            options=[("3×3", 3), ("5×5", 5)], value=size, description=_(TEXTS["size"])
        )
        self.preset = widgets.Dropdown(
            options=[(_(name), name) for name in [*presets, CUSTOM]],
            value=preset,
            description=_(TEXTS["preset"]),
        )
        self.preset.add_class("kernel-preset")
        self.grid = widgets.GridBox()
        self._build_cells(presets[preset])
        self._build_image_chooser()
        self.summary = widgets.HTML()
        self.picture = PictureWithAlt()
        self.picture.add_class("kernel-feature-map")
        self.inspector = WindowInspector()
        self.inspector.layout = widgets.Layout(flex="1 1 0%", min_width="0")
        controls = widgets.VBox(
            [
                widgets.HTML(HIDDEN_CELL_LABELS),
                self.size,
                self.preset,
                self.grid,
                self.image_source,
                self.image_class,
                self.image_index,
                self.summary,
            ],
            layout=widgets.Layout(width="300px", flex="0 0 auto", margin="0 16px 0 0"),
        )
        # The picture on top, the controls beside the inspector under it: an edited entry, the
        # maps it changes and the pointed pixel's products are all in view at 1280×800.
        self.ui = widgets.VBox([self.picture, widgets.HBox([controls, self.inspector])])
        self.size.observe(self._on_size_change, names="value")
        self.preset.observe(self._on_preset_change, names="value")
        for control in (self.image_source, self.image_class, self.image_index):
            control.observe(self._on_image_change, names="value")
        self.redraw()

    def _build_cells(self, kernel):
        """Fill ``self.grid`` with one BoundedFloatText per kernel entry (k×k kernel)."""
        k = kernel.shape[0]
        self.cells = [
            [
                widgets.BoundedFloatText(
                    value=kernel[i, j].item(),
                    min=-KERNEL_ENTRY_BOUND,
                    max=KERNEL_ENTRY_BOUND,
                    step=0.1,
                    description=_(TEXTS["cell"]).format(row=i + 1, column=j + 1),
                    layout=widgets.Layout(width="56px"),
                )
                for j in range(k)
            ]
            for i in range(k)
        ]
        for cell in self._all_cells():
            cell.add_class("kernel-cell")
            cell.observe(self._on_cell_change, names="value")
        self.grid.children = self._all_cells()
        self.grid.layout = widgets.Layout(
            grid_template_columns=f"repeat({k}, 56px)", grid_gap="4px", margin="4px 0 8px 90px"
        )

    def _build_image_chooser(self):
        sources = [(_(TEXTS["edge_source"]), "edge")]
        if self._images is not None:
            sources.append((_(TEXTS["dataset_source"]), "dataset"))
        self.image_source = widgets.Dropdown(
            options=sources, value=sources[-1][1], description=_(TEXTS["image"])
        )
        present = sorted(set(self._labels.tolist())) if self._labels is not None else []
        options = [(_(TEXTS["all_classes"]), -1)] + [(_(self._classes[c]), c) for c in present]
        self.image_class = widgets.Dropdown(
            options=options, value=-1, description=_(TEXTS["class"])
        )
        count = len(self._images) if self._images is not None else 1
        self._indices_of_class = {-1: torch.arange(count)}
        self._indices_of_class.update({c: (self._labels == c).nonzero().flatten() for c in present})
        self.image_index = widgets.BoundedIntText(
            value=0, min=0, max=count - 1, description=_(TEXTS["index"])
        )
        self.image_index.add_class("kernel-image-index")
        self._enable_dataset_controls()

    def _all_cells(self):
        return [cell for row in self.cells for cell in row]

    def _enable_dataset_controls(self):
        disabled = self.image_source.value == "edge"
        self.image_class.disabled = self.image_index.disabled = disabled

    @property
    def kernel(self):
        """The kernel in the cells, size×size float32."""
        values = [[cell.value for cell in row] for row in self.cells]
        return torch.tensor(values, dtype=torch.float32)

    @property
    def image(self):
        """The chosen input image, h×w."""
        if self.image_source.value == "edge":
            return edge_image()
        return self._images[self._image_number()]

    def _image_number(self):
        return self._indices_of_class[self.image_class.value][self.image_index.value].item()

    def _image_title(self):
        return _(TEXTS["input_title"]).format(image=self._image_name())

    def _on_cell_change(self, change):
        if self.busy:
            return
        with self.quietly():
            self.preset.value = CUSTOM
        self.redraw()

    def _on_preset_change(self, change):
        if self.busy or change["new"] == CUSTOM:
            return  # choosing "custom" keeps the kernel that is in the cells
        kernel = editor_presets(self.size.value)[change["new"]]
        with self.quietly():
            for cell, value in zip(self._all_cells(), kernel.flatten().tolist()):
                cell.value = value
        self.redraw()

    def _on_size_change(self, change):
        """Rebuild the grid: a preset is taken at the new size, a custom kernel is zero padded or
        cropped."""
        if self.preset.value != CUSTOM:
            kernel = editor_presets(change["new"])[self.preset.value]
        elif change["new"] > change["old"]:
            kernel = embed_centred(self.kernel, change["new"])
        else:
            kernel = crop_centre(self.kernel, change["new"])
        self._build_cells(kernel)
        self.redraw()

    def _on_image_change(self, change):
        if self.busy:
            return
        if change["owner"] is self.image_class:
            # a class has fewer images: restart at its first one, and draw once below
            count = len(self._indices_of_class[change["new"]])
            with self.quietly():
                self.image_index.value = 0
                self.image_index.max = count - 1
        self._enable_dataset_controls()
        self.redraw()

    def redraw(self):
        """Recompute the feature map from the current image and kernel, redraw the pictures and
        hand both to the inspector."""
        image, kernel = self.image, self.kernel
        self.feature_map = corr2d_vectorized(image, kernel)
        self.relu_map = self.feature_map.clamp(min=0)
        self.inspector.show(image, kernel, self.feature_map)
        map_title = _(TEXTS["map_title"]).format(kernel=self._preset_name())
        titles = (self._image_title(), map_title, _(TEXTS["relu_title"]).format(title=map_title))
        png = self._figure.png(image, self.feature_map, self.relu_map, titles)
        with self.picture.hold_sync():  # the picture and its alt text in one message
            self.picture.alt = self.alt_text()
            self.figure_png = self.show_png(self.picture, png)
        h, w = self.feature_map.shape
        fmap = self.feature_map
        low, high = f"{fmap.min().item():.3g}", f"{fmap.max().item():.3g}"
        self._summary_parts = (
            _(TEXTS["map_range"]).format(h=h, w=w, low=low, high=high),
            _(TEXTS["kernel_sum"]).format(sum=f"{kernel.sum().item():.3g}"),
        )
        map_range, kernel_sum = self._summary_parts
        self.summary.value = _(TEXTS["summary"]).format(map_range=map_range, kernel_sum=kernel_sum)
        self.redraw_count += 1

    def alt_text(self):
        """The picture's alt text: what its three panels show, with their ranges."""
        image, fmap = self.image, self.feature_map
        (h, w), (oh, ow) = image.shape, fmap.shape
        return _(TEXTS["alt"]).format(
            image=self._image_name(),
            h=h,
            w=w,
            image_low=f"{image.min().item():.3g}",
            image_high=f"{image.max().item():.3g}",
            oh=oh,
            ow=ow,
            kernel=self._preset_name(),
            low=f"{fmap.min().item():.3g}",
            high=f"{fmap.max().item():.3g}",
            relu_high=f"{self.relu_map.max().item():.3g}",
        )

    def _preset_name(self):
        """The chosen preset as the drop-down shows it ("custom" once an entry is edited)."""
        return _(self.preset.value)

    def _image_name(self):
        """'6×8 edge image' or 'test image 3 (Pullover)'."""
        if self.image_source.value == "edge":
            return _(TEXTS["edge_source"])
        number = self._image_number()
        name = _(self._classes[self._labels[number]])
        return _(TEXTS["test_image"]).format(number=number, name=name)

    def state_line(self):
        k, (h, w) = self.size.value, self.feature_map.shape
        return _(TEXTS["state"]).format(
            kernel=self._preset_name(), k=k, image=self._image_name(), h=h, w=w
        )

    def picture_lines(self):
        k = self.size.value
        return [
            _(TEXTS["kernel_line"]).format(k=k, preset=self._preset_name()),
            *matrix_lines(self.kernel),
            _(TEXTS["image_line"]).format(image=self._image_name()),
            *self._summary_parts,  # the map's range; the kernel's sum
        ]

    def main_picture(self):
        return self.figure_png
