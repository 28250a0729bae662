"""WindowInspector (notebook 02, inside the KernelEditor): point at a feature-map pixel and see
the k×k window of the input that made it, the k·k products and their sum,
Y[i, j] = Σ X[i+a, j+b]·K[a, b] (lesson 01's worked example, on a real image).

The view runs in the browser (``js/window_inspector.js``), so pointing needs no kernel round trip.
Python computes every number it shows, the products of every output position included, and sends
them as float32 bytes; the browser indexes and formats them and reports the pointed cell back.
"""

import anywidget
import traitlets

from convlab.language import N_, _
from convlab.plotting import SIGNED_CMAP
from convlab.widgets.client import JS_DIR, colormap_bytes, float32_bytes
from helpers import check_tensor

NOT_POINTED = ()  # the pointed trait holds [] when no pixel is pointed at, as in LeNetView
CAPTION = N_(
    "Point at a pixel of the feature map: its k×k window lights up on the input, and the grid "
    "lists the products X[i+a, j+b]·K[a, b] that add up to the pixel's value."
)
# Every word a learner sees or hears from the view, in one place (the view fills in the {…}):
# English message ids, sent translated (``inspector_texts``).
TEXTS = {
    "keys": N_(
        "Keys: Tab to the feature map, then arrows move the pointed pixel (Home: top-left "
        "corner, Escape: let go)."
    ),
    "input_title": N_("input {h}×{w}"),
    "map_title": N_("feature map {h}×{w} ({k}×{k} kernel)"),
    "map_label": N_("feature map {h}×{w} of the {k}×{k} kernel: arrow keys point at a pixel"),
    "input_label": N_("input {h}×{w}, the pointed pixel's window outlined"),
    # one sentence per pointed pixel: the products for a kernel of at most LISTED_MAX entries…
    "sentence_products": "Y[{i}, {j}] = {products} = {sum}.",  # maths only: not translated
    # …else the sum and where its window lies
    "sentence_window": N_(
        "Y[{i}, {j}] = {sum}, the sum of {n} products over the {k}×{k} window at "
        "rows {top}–{bottom}, columns {left}–{right}."
    ),
    "header": N_(
        "Y[{i}, {j}] = Σ X[{i}+a, {j}+b]·K[a, b] over the {k}×{k} window at rows "
        "{top}–{bottom}, columns {left}–{right} of the input:"
    ),
    "failed": N_("The window inspector cannot draw this: {error}"),  # the view's error line
}
UNTRANSLATED = ("sentence_products",)
LISTED_MAX = 9  # a 3×3 kernel's products are read out one by one; 25 would be too long to hear
ANNOUNCE_MS = 300  # the live region speaks once the pointed pixel has rested this long


def inspector_texts():
    """TEXTS in the current language."""
    return {name: text if name in UNTRANSLATED else _(text) for name, text in TEXTS.items()}


def window_products(image, kernel):
    """Every output position's products X[i+a, j+b]·K[a, b].

    image: h×w, kernel: k×k  →  (h−k+1)×(w−k+1)×k×k; the sum of entry [i, j] is the feature
    map's value at [i, j].
    """
    k = kernel.shape[0]
    windows = image.unfold(0, k, 1).unfold(1, k, 1)  # (h−k+1)×(w−k+1)×k×k views, no copy
    return windows * kernel


def short(value):
    """A number in three significant digits, as the view writes it (no "-0")."""
    return f"{value + 0.0:.3g}"


def factor(value):
    """A kernel entry as the right factor of a product: negative ones in parentheses."""
    text = short(value)
    return f"({text})" if text.startswith("-") else text


def check_inspected(image, kernel, feature_map):
    """Raise unless image is h×w, kernel k×k with k ≤ h, w, feature_map (h−k+1)×(w−k+1)."""
    check_tensor("image", image, (2,), "h×w")
    check_tensor("kernel", kernel, (2,), "k×k")
    check_tensor("feature_map", feature_map, (2,), "(h−k+1)×(w−k+1)")
    k = kernel.shape[0]
    if kernel.shape[1] != k:
        raise ValueError(
            _("kernel must be square (k×k), got shape {shape}").format(shape=tuple(kernel.shape))
        )
    h, w = image.shape
    if k > min(h, w):
        raise ValueError(
            _("kernel ({k}×{k}) must fit inside image, got image shape {shape}").format(
                k=k, shape=tuple(image.shape)
            )
        )
    expected = (h - k + 1, w - k + 1)
    if tuple(feature_map.shape) != expected:
        raise ValueError(
            _(
                "feature_map must have shape {expected} for a {h}×{w} image and a {k}×{k} "
                "kernel, got {shape}"
            ).format(expected=expected, h=h, w=w, k=k, shape=tuple(feature_map.shape))
        )


class WindowInspector(anywidget.AnyWidget):
    """Input image and feature map side by side in the browser; pointing at a feature-map pixel
    outlines its k×k window on the input and lists the products and their sum.

    ``show(image, kernel, feature_map)`` sets what is inspected. Synced traits (float32 bytes are
    little-endian, row-major): ``image`` (h·w values) with ``image_shape`` [h, w] and
    ``image_range`` [min, max] (grey scale); ``kernel`` (k·k) with ``kernel_size`` k;
    ``feature_map`` (h'·w', h' = h−k+1, w' = w−k+1) with ``map_shape`` [h', w'] and ``map_limit``
    (the diverging scale runs from −limit to limit); ``products`` (h'·w'·k·k: the products of
    output [i, j] start at value (i·w' + j)·k·k); ``map_colors`` (RdBu_r, 256 RGB uint8 triples);
    ``caption``; ``pointed`` [row, column] of the feature-map pixel under the mouse, [] for none
    (the browser sets it; setting it from Python points there too). Not synced:
    ``window_text``, the pointed computation as plain text ("" when nothing is pointed at), and
    ``announcement``, the one sentence the view's live region says for it (``sentence``).

    Keyboard: the feature map is focusable; arrows move the pointed pixel through the same code
    as the mouse, and a polite live region (``role="status"``) says ``announcement`` once the
    pointed pixel rests for ``announce_ms``. ``texts`` holds every word of the view.
    """

    _esm = JS_DIR / "window_inspector.js"

    image = traitlets.Bytes(b"").tag(sync=True)
    image_shape = traitlets.List([0, 0]).tag(sync=True)
    image_range = traitlets.List([0.0, 1.0]).tag(sync=True)
    kernel = traitlets.Bytes(b"").tag(sync=True)
    kernel_size = traitlets.Int(0).tag(sync=True)
    feature_map = traitlets.Bytes(b"").tag(sync=True)
    map_shape = traitlets.List([0, 0]).tag(sync=True)
    map_limit = traitlets.Float(1.0).tag(sync=True)
    products = traitlets.Bytes(b"").tag(sync=True)
    map_colors = traitlets.Bytes(colormap_bytes(SIGNED_CMAP)).tag(sync=True)
    caption = traitlets.Unicode().tag(sync=True)
    texts = traitlets.Dict().tag(sync=True)
    listed_max = traitlets.Int(LISTED_MAX).tag(sync=True)
    announce_ms = traitlets.Int(ANNOUNCE_MS).tag(sync=True)
    pointed = traitlets.Any(list(NOT_POINTED)).tag(sync=True)
    window_text = traitlets.Unicode("")
    announcement = traitlets.Unicode("")

    def __init__(self):
        super().__init__(caption=_(CAPTION), texts=inspector_texts())
        self._tensors = None  # (image, kernel, feature map, products) once shown

    def show(self, image, kernel, feature_map):
        """Inspect ``feature_map``, the cross-correlation of ``image`` (h×w) with the square
        ``kernel`` (k×k): (h−k+1)×(w−k+1). A pointed pixel outside the new map is let go."""
        check_inspected(image, kernel, feature_map)
        image, kernel, feature_map = (
            t.detach().cpu().float() for t in (image, kernel, feature_map)
        )
        products = window_products(image, kernel)
        self._tensors = image, kernel, feature_map, products
        with self.hold_sync():  # one message: the view never sees a new image with an old map
            self.image = float32_bytes(image)
            self.image_shape = list(image.shape)
            self.image_range = [image.min().item(), image.max().item()]
            self.kernel = float32_bytes(kernel)
            self.kernel_size = kernel.shape[0]
            self.feature_map = float32_bytes(feature_map)
            self.map_shape = list(feature_map.shape)
            # as the editor's figure: symmetric, so 0 is white
            self.map_limit = max(feature_map.abs().max().item(), 1e-6)
            self.products = float32_bytes(products)
            self.pointed = self.pointed  # validated again against the new map shape
        self.window_text = self._describe_pointed()
        self.announcement = self.sentence()

    @traitlets.validate("pointed")
    def _check_pointed(self, proposal):
        value = proposal["value"]
        ints = isinstance(value, (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
        if not ints:
            raise TypeError(
                _(
                    "pointed must be a list [row, column] of two ints, or [] for none, "
                    "got {value!r}"
                ).format(value=value)
            )
        if len(value) not in (0, 2):
            raise ValueError(
                _(
                    "pointed must be [row, column] or [] for none, got {count} values: {value!r}"
                ).format(count=len(value), value=value)
            )
        height, width = self.map_shape
        # Outside the map is "nothing pointed at": the mouse left it, or the browser sent a cell of
        # the previous, larger map while a new kernel size was on its way.
        if len(value) == 0 or not (0 <= value[0] < height and 0 <= value[1] < width):
            return list(NOT_POINTED)
        return list(value)

    @traitlets.observe("pointed")
    def _on_pointed(self, change):
        self.window_text = self._describe_pointed()
        self.announcement = self.sentence()

    def sentence(self):
        """What the live region says for the pointed pixel, as the view writes it: "Y[1, 2] =
        0.5·1 + 0.25·(-2) + … = 0.12." ("" when nothing is pointed at)."""
        if self._tensors is None or not self.pointed:
            return ""
        image, kernel, feature_map, _products = self._tensors
        i, j = self.pointed
        k = kernel.shape[0]
        total = short(feature_map[i, j].item())
        if k * k > self.listed_max:
            return self.texts["sentence_window"].format(
                i=i, j=j, sum=total, n=k * k, k=k, top=i, bottom=i + k - 1, left=j, right=j + k - 1
            )
        window = image[i : i + k, j : j + k].flatten().tolist()
        terms = [f"{short(x)}·{factor(w)}" for x, w in zip(window, kernel.flatten().tolist())]
        return self.texts["sentence_products"].format(
            i=i, j=j, products=" + ".join(terms), sum=total
        )

    def _describe_pointed(self):
        """The pointed computation: a header, k lines of products "x·k = p", then "Σ = Y[i, j]"."""
        if self._tensors is None or not self.pointed:
            return ""
        image, kernel, feature_map, products = self._tensors
        i, j = self.pointed
        k = kernel.shape[0]
        window = image[i : i + k, j : j + k]
        cells = [
            [
                f"{short(x)}·{factor(w)} = {short(p)}"
                for x, w, p in zip(
                    window[a].tolist(), kernel[a].tolist(), products[i, j, a].tolist()
                )
            ]
            for a in range(k)
        ]
        width = max(len(cell) for row in cells for cell in row)
        lines = ["   ".join(cell.ljust(width) for cell in row).rstrip() for row in cells]
        header = self.texts["header"].format(
            i=i, j=j, k=k, top=i, bottom=i + k - 1, left=j, right=j + k - 1
        )
        return "\n".join([header, *lines, f"Σ = {short(feature_map[i, j].item())}"])
