"""PoolingExplorer (notebook 04): window, stride, padding and mode of ``pool2d`` on an image, and
each window's max or mean written out."""

import html
from functools import partial

import ipywidgets as widgets
import torch
from matplotlib.patches import Rectangle

from convlab.language import N_, _
from convlab.plotting import BLUE, RED, BlittedFigure, show_values
from convlab.widgets.base import (
    PICTURE_FITS,
    LessonWidget,
    PictureWithAlt,
    int_control,
    linked_play,
)
from helpers import check_choice, check_int, check_tensor, edge_image, pool2d

MODES = ("max", "avg")
# Every word of the explorer a learner reads or hears, in one place: English message ids,
# translated where they are shown (``_(TEXTS[...])``).
TEXTS = {
    "image": N_("image"),
    "pool_size": N_("pool size"),
    "stride": N_("stride"),
    "padding": N_("padding"),
    "mode": N_("pooling"),
    "mode_options": {"max": N_("max"), "avg": N_("average")},
    "mode_words": {"max": N_("max"), "avg": N_("avg")},  # in "max pooled 3×4"
    "window": N_("window position"),
    "keys": N_(
        "Keys: Tab to a box, type a number or use the arrows; Tab to Play, Enter or Space "
        "plays or pauses."
    ),
    "padded": N_("{image} {h}×{w} padded to {ph}×{pw} (tan)"),
    "unpadded": N_("{image} {h}×{w}"),
    "alt": N_(
        "Input: {input}, the current {k}×{k} window outlined in red from row {top}, column "
        "{left}{next}; output: {mode} pooled {oh}×{ow}, {value}."
    ),
    "alt_next": N_(", the next one dashed blue"),
    "alt_invalid": N_("Input: {input}; no output: {message}"),
    "announce": N_("Window {number} of {count}: {value}."),
    "announce_invalid": N_("No output: {message}"),
    "no_output": N_("no output:\nsee the message"),
    "pooled": N_("{mode} pooled {h}×{w}"),
    "input_title": N_("input {h}×{w}"),
    "input_title_padded": N_("input {h}×{w}, padded to {ph}×{pw} (tan)"),
    "shape": N_("input {h}×{w} → {mode} pooled {oh}×{ow}"),
    "setting": N_("{k}×{k} {mode} pooling, stride {s}, padding {q}"),
    "state": N_("{setting} on the {image} → {result}"),
    "state_output": N_("output {oh}×{ow}"),
    "state_invalid": N_("no output: {message}"),
    "image_line": N_("image: {image}"),
}
DEFAULT_IMAGE = N_("edge image")  # the default image's name, shown translated


def mode_word(mode):
    """'max' or 'avg' in the current language, as in 'max pooled 3×4'."""
    return _(TEXTS["mode_words"][mode])


def check_named_images(images):
    """Turn ``images`` (a dict name → h×w or 1×h×w tensor) into a dict name → h×w tensor."""
    if not isinstance(images, dict):
        raise TypeError(
            _("images must be a dict mapping names to h×w tensors, got {type}").format(
                type=type(images).__name__
            )
        )
    if not images:
        raise ValueError(
            _("images must be a non-empty dict mapping names to h×w tensors, got an empty dict")
        )
    checked = {}
    for name, image in images.items():
        entry = f"images[{name!r}]"
        check_tensor(entry, image, (2, 3), "h×w or 1×h×w")
        if image.dim() == 3 and image.shape[0] != 1:
            raise ValueError(
                _("{name} must be one grey-scale image (h×w or 1×h×w), got shape {shape}").format(
                    name=entry, shape=tuple(image.shape)
                )
            )
        checked[str(name)] = image.detach().cpu().reshape(image.shape[-2:])
    return checked


def format_value(value):
    """A pooled value as the window text writes it: 3 significant digits, −∞ for max padding."""
    return "−∞" if value == float("-inf") else f"{value:.3g}"


def pooling_window_text(padded, row, col, pool_size, stride, mode):
    """'Y[0, 1] = max(1, 1, 0, 0) = 1': output Y[row, col] with its window's values written out.

    padded: the input with its padding filled in (−∞ for max, 0 for avg pooling), (h + 2q)×(w + 2q).
    Average pooling divides by the full window, padding included, as ``pool2d`` does.
    """
    top, left = row * stride, col * stride
    values = padded[top : top + pool_size, left : left + pool_size].flatten().tolist()
    result = max(values) if mode == "max" else sum(values) / len(values)
    written = ", ".join(map(format_value, values))
    name = "max" if mode == "max" else "mean"
    return f"Y[{row}, {col}] = {name}({written}) = {format_value(result)}"


class PoolingFigure(BlittedFigure):
    """The PoolingExplorer's picture of one setting: the input with its padding next to the
    pooled output, the current window red (its output cell framed red), the next one dashed blue.

    image: h×w; pooled: h'×w', or None when the setting is invalid. Padding cells are tan (holding
    −∞ for max pooling, 0 for average pooling). Values are written in the cells of small maps.

    Built once per setting; ``png(window)`` then draws only the three frames.
    """

    def __init__(self, image, pooled, pool_size, stride, padding, mode):
        self.pooled, self.k, self.s, self.q = pooled, pool_size, stride, padding
        self._new_figure((8, 3.6))
        h, w = image.shape
        q = padding
        ratio = [w + 2 * q, max(pooled.shape[1], 1) if pooled is not None else max(w // 2, 1)]
        self.ax_in, self.ax_out = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": ratio})
        values = image if pooled is None else torch.cat([image.flatten(), pooled.flatten()])
        low = min(values.min().item(), 0.0)  # average pooling mixes in zero padding
        high = max(values.max().item(), low + 1e-6)
        self._draw_input(image, low, high, mode)
        if pooled is None:
            self.ax_out.text(0.5, 0.5, _(TEXTS["no_output"]), ha="center", va="center", fontsize=11)
            self.ax_out.axis("off")
        else:
            show_values(self.ax_out, pooled, low, high)
            title = _(TEXTS["pooled"]).format(
                mode=mode_word(mode), h=pooled.shape[0], w=pooled.shape[1]
            )
            self.ax_out.set_title(title, fontsize=13)
        for text in (*self.ax_in.texts, *self.ax_out.texts):
            text.set_clip_on(True)  # inside the axes anyway; spares the layout measuring each
        self.fig.tight_layout()
        self._freeze([] if pooled is None else self._add_frames())

    def _draw_input(self, image, low, high, mode):
        h, w = image.shape
        q, ax = self.q, self.ax_in
        show_values(ax, image, low, high)
        ax.set_facecolor("#f2d7a0")  # what shows around the image is the padding
        ax.set_xlim(-q - 0.5, w + q - 0.5)
        ax.set_ylim(h + q - 0.5, -q - 0.5)
        ax.add_patch(Rectangle((-0.5, -0.5), w, h, fill=False, edgecolor="black", linewidth=1))
        if q and (h + 2 * q) * (w + 2 * q) <= 150:
            pad_text = "−∞" if mode == "max" else "0"
            for i in range(-q, h + q):
                for j in range(-q, w + q):
                    if not (0 <= i < h and 0 <= j < w):
                        ax.text(
                            j, i, pad_text, ha="center", va="center", fontsize=11, color="#7a5a1e"
                        )
        title = _(TEXTS["input_title_padded" if q else "input_title"])
        ax.set_title(title.format(h=h, w=w, ph=h + 2 * q, pw=w + 2 * q), fontsize=13)

    def _add_frames(self):
        """Add and return the frames ``png`` moves: current window, next window, output cell."""
        k = self.k
        self.current = Rectangle(
            (0, 0), k, k, fill=False, edgecolor=RED, linewidth=3, clip_on=False
        )
        self.next = Rectangle(
            (0, 0), k, k, fill=False, edgecolor=BLUE, linewidth=2, linestyle="--", clip_on=False
        )
        self.output_frame = Rectangle((0, 0), 1, 1, fill=False, edgecolor=RED, linewidth=3)
        self.ax_in.add_patch(self.current)
        self.ax_in.add_patch(self.next)
        self.ax_out.add_patch(self.output_frame)
        return [self.current, self.next, self.output_frame]

    def _window_corner(self, window):
        """Top-left corner of window number ``window`` (row-major) in the input's pixel axes."""
        i, j = divmod(window, self.pooled.shape[1])
        return (j * self.s - self.q - 0.5, i * self.s - self.q - 0.5)

    def png(self, window):
        """PNG bytes of the picture with window number ``window`` (row-major) current."""
        if self.pooled is not None:
            self.current.set_xy(self._window_corner(window))
            has_next = window + 1 < self.pooled.numel()
            self.next.set_visible(has_next)
            if has_next:
                self.next.set_xy(self._window_corner(window + 1))
            i, j = divmod(window, self.pooled.shape[1])
            self.output_frame.set_xy((j - 0.5, i - 0.5))
        return self._render()


class PoolingExplorer(LessonWidget):
    """Controls for the window size, stride, padding and mode (max/avg) of ``pool2d`` on an image.

    images: dict name → h×w (or 1×h×w) grey-scale tensor, shown in a drop-down; default the 6×8
    ``edge_image()``. Shows the input (padding tan, current window red, next window dashed blue)
    and the pooled output with their shapes. A window-position slider (and a play button linked to
    it in the browser) steps the red window through the positions, and a line writes out the
    current window's max or mean. Display the object as the last expression of a cell.

    Computed state (updated on every change): ``pooled`` (h'×w' tensor, or None when the setting
    is invalid), ``shape_text`` ("input h×w → max pooled h'×w'", "" when invalid), ``window_text``
    (the current window's values and result, e.g. "Y[0, 1] = max(1, 1, 0, 0) = 1"; "" when
    invalid), ``message`` (pool2d's reason the setting is invalid, "" when valid), ``output_png``
    (PNG bytes, also in ``output.value``).
    """

    NAME = N_("Pooling explorer")
    LIVE = N_(
        "change the window, stride, padding and mode, or play the window through the positions"
    )
    MAX_POOL_SIZE, MAX_STRIDE, MAX_PADDING = 8, 8, 4

    def __init__(self, images=None, pool_size=2, stride=2, padding=0, mode="max"):
        self.images = check_named_images(
            {DEFAULT_IMAGE: edge_image()} if images is None else images
        )
        check_int("pool_size", pool_size, 1, self.MAX_POOL_SIZE)
        check_int("stride", stride, 1, self.MAX_STRIDE)
        check_int("padding", padding, 0, self.MAX_PADDING)
        check_choice("mode", mode, MODES)
        super().__init__("pool")

        int_box = partial(int_control, widgets.BoundedIntText, label_width="70px", width="150px")
        self.image = widgets.Dropdown(
            options=[(_(name), name) for name in self.images],
            description=_(TEXTS["image"]),
            style={"description_width": "60px"},
            layout=widgets.Layout(width="320px"),
        )
        self.image.add_class("pool-image")
        self.pool_size = int_box(
            _(TEXTS["pool_size"]), pool_size, (1, self.MAX_POOL_SIZE), "pool-size"
        )
        self.stride = int_box(_(TEXTS["stride"]), stride, (1, self.MAX_STRIDE), "pool-stride")
        self.padding = int_box(_(TEXTS["padding"]), padding, (0, self.MAX_PADDING), "pool-padding")
        # A drop-down, not toggle buttons: its label is wired to it, so the choice has a name.
        self.mode = widgets.Dropdown(
            options=[(_(TEXTS["mode_options"][m]), m) for m in MODES],
            value=mode,
            description=_(TEXTS["mode"]),
            style={"description_width": "60px"},
            layout=widgets.Layout(width="170px"),
        )
        self.mode.add_class("pool-mode")
        self.window = int_control(
            widgets.IntSlider,
            _(TEXTS["window"]),
            0,
            (0, 0),
            "pool-window",
            label_width="110px",
            continuous_update=False,
        )
        self.play, self.play_link = linked_play(
            self.window, "pool-play", margin_left="8px", keys=TEXTS["keys"]
        )
        self.shape_html = widgets.HTML()
        self.shape_html.add_class("pool-shape")
        self.window_html = widgets.HTML()
        self.window_html.add_class("pool-window-value")
        self.output = PictureWithAlt()
        self.output.add_class("lesson-picture")
        self.output.add_class("pool-output")
        # Controls in rows above the picture: the two-panel picture needs the notebook's width.
        row = widgets.HBox([self.pool_size, self.stride, self.padding, self.mode])
        stepper = widgets.HBox([self.window, self.play])
        texts = [self.shape_html, self.window_html, self.message_html, widgets.HTML(PICTURE_FITS)]
        self.ui = widgets.VBox([self.image, row, stepper, *texts, self.output])
        self.pooled = None
        self.shape_text = self.window_text = self.announcement = ""
        self.output_png = b""
        for control in (self.image, self.pool_size, self.stride, self.padding, self.mode):
            control.observe(self._update, names="value")
        self.window.observe(self._on_window_change, names="value")
        self._update()

    def _update(self, change=None):
        image = self.images[self.image.value]
        k, s, q, mode = self.pool_size.value, self.stride.value, self.padding.value, self.mode.value
        try:
            self.pooled = pool2d(image, k, mode=mode, stride=s, padding=q)
        except ValueError as error:  # padding over half the window, or a window too large
            self.pooled = None
            self.shape_text = ""
            self.message = str(error)
        else:
            h, w = image.shape
            oh, ow = self.pooled.shape
            self.shape_text = _(TEXTS["shape"]).format(h=h, w=w, mode=mode_word(mode), oh=oh, ow=ow)
            self.message = ""
        self.shape_html.value = f"<b>{self.shape_text}</b>" if self.shape_text else ""
        positions = 1 if self.pooled is None else self.pooled.numel()
        # Lowering max may clamp the window value and fire _on_window_change: draw once, below.
        with self.quietly():
            self.window.max = self.play.max = positions - 1
        self.window.disabled = self.play.disabled = self.pooled is None
        self._figure = PoolingFigure(image, self.pooled, k, s, q, mode)
        self._redraw()

    def _on_window_change(self, change):
        if not self.busy:
            self._redraw()

    def _redraw(self):
        self._write_window_value()
        png = self._figure.png(self.window.value)
        with self.output.hold_sync():  # the picture and its alt text in one message
            self.output.alt = self.alt_text()
            self.output_png = self.show_png(self.output, png)
        self.announcement = self.play.announcement = self._announcement()

    def _input_words(self):
        h, w = self.images[self.image.value].shape
        q = self.padding.value
        words = _(TEXTS["padded" if q else "unpadded"])
        return words.format(image=self._image_name(), h=h, w=w, ph=h + 2 * q, pw=w + 2 * q)

    def _image_name(self):
        """The chosen image's name as the drop-down shows it."""
        return _(self.image.value)

    def alt_text(self):
        """The picture's alt text: e.g. 'Input: edge image 6×8, the current 2×2 window outlined
        in red from row 0, column 4, the next one dashed blue; output: max pooled 3×4,
        Y[0, 2] = max(0, 0, 1, 1) = 1.' (rows and columns of the padded input)."""
        if self.pooled is None:
            return _(TEXTS["alt_invalid"]).format(input=self._input_words(), message=self.message)
        oh, ow = self.pooled.shape
        i, j = divmod(self.window.value, ow)
        s = self.stride.value
        return _(TEXTS["alt"]).format(
            input=self._input_words(),
            k=self.pool_size.value,
            top=i * s,
            left=j * s,
            next=_(TEXTS["alt_next"]) if self.window.value + 1 < oh * ow else "",
            mode=mode_word(self.mode.value),
            oh=oh,
            ow=ow,
            value=self.window_text,
        )

    def _announcement(self):
        """The live region's sentence: 'Window 3 of 12: Y[0, 2] = max(0, 0, 1, 1) = 1.'"""
        if self.pooled is None:
            return _(TEXTS["announce_invalid"]).format(message=self.message)
        return _(TEXTS["announce"]).format(
            number=self.window.value + 1, count=self.pooled.numel(), value=self.window_text
        )

    def _write_window_value(self):
        if self.pooled is None:
            self.window_text = self.window_html.value = ""
            return
        q, mode = self.padding.value, self.mode.value
        fill = float("-inf") if mode == "max" else 0.0  # as pool2d pads
        padded = torch.nn.functional.pad(self.images[self.image.value], (q,) * 4, value=fill)
        i, j = divmod(self.window.value, self.pooled.shape[1])
        self.window_text = pooling_window_text(
            padded, i, j, self.pool_size.value, self.stride.value, mode
        )
        self.window_html.value = f"<b>{html.escape(self.window_text)}</b>"

    def _setting(self):
        k, s, q = self.pool_size.value, self.stride.value, self.padding.value
        return _(TEXTS["setting"]).format(k=k, mode=mode_word(self.mode.value), s=s, q=q)

    def state_line(self):
        if self.pooled is None:
            result = _(TEXTS["state_invalid"]).format(message=self.message)
        else:
            oh, ow = self.pooled.shape
            result = _(TEXTS["state_output"]).format(oh=oh, ow=ow)
        return _(TEXTS["state"]).format(
            setting=self._setting(), image=self._image_name(), result=result
        )

    def picture_lines(self):
        return [
            _(TEXTS["image_line"]).format(image=self._image_name()),
            self._setting(),
            self.shape_text,
            self.window_text,
            ("error", self.message),
        ]

    def main_picture(self):
        return self.output_png
