"""LeNetExplorer (notebook 05): draw or pick an input and watch a trained LeNet respond.

The view (``LeNetView``, drawn in the browser by ``js/lenet_explorer.js``) holds the drawing pad,
the 28×28 image the network receives, the class probabilities and the feature maps after every
convolution and pooling layer; pointing at a feature-map value outlines its receptive field (感受野)
in the input. Drawing and pointing happen in the browser; every number shown is computed here.
"""

import copy

import anywidget
import ipywidgets as widgets
import numpy as np
import torch
import traitlets
from PIL import Image, ImageDraw
from torch import nn

from convlab.language import N_, _
from convlab.training import predict_probabilities
from convlab.widgets.base import LessonWidget, int_control
from convlab.widgets.client import JS_DIR, float32_bytes
from convlab.widgets.still import INK, font, grey_pixels, text_width, tile
from helpers import check_int, check_tensor, prepare_drawing, standardize

SHOWN_LAYERS = (nn.Conv2d, nn.AvgPool2d, nn.MaxPool2d)
PAD_SIZE = 112  # drawing-pad pixels per side: 4 per input pixel, so strokes scale down smoothly
IMAGE_SIZE = 28

# What a learner reads or hears from the explorer, in one place: English message ids, translated
# where they are shown (``_(TEXTS[...])``). Class names are translated with ``_(name)`` too.
TEXTS = {
    "test_image": N_("test image"),
    "index": N_("index"),
    "source_test": N_("input: a test image"),
    "source_drawing": N_("input: your drawing (choose a test image to replace it)"),
    "drawing_caption": N_("your drawing, as the network receives it"),
    "test_caption": N_("test image {number}: {name} number {index} of {count} (label {name})"),
    "top_three": N_("{0} {1:.1f} %, {2} {3:.1f} %, {4} {5:.1f} %"),
    "input_label": N_(
        "What the network receives, 28 by 28 pixels: {caption}. Most probable: {top}."
    ),
    "answer": N_("{name}, {percent:.1f} %"),
    "state": N_("{caption} → most probable: {answer}"),
    "best_line": N_("most probable class: {answer}"),
    "input_title": N_("What the network receives ({size}×{size})"),
    "probabilities": N_("Class probabilities"),
    "layer_kinds": {
        nn.Conv2d: N_("conv"),
        nn.AvgPool2d: N_("avg pool"),
        nn.MaxPool2d: N_("max pool"),
    },
    "unreadable": N_("The drawing could not be read: {error}"),
    "not_in_maps": N_("The pointed value {value} is not in the maps: {error}"),
}
# The words of the browser view (js/lenet_explorer.js fills in the {names}).
VIEW_TEXTS = {
    "hint": N_("Point at a value of a feature map to see its receptive field."),
    "keys": N_(
        "Keys: Tab moves to the pad and to each map. Pad: arrows move the pen (Shift: farther), "
        "Space pen down / lift and send, Enter send, E pen or eraser, C clear. "
        "Map: arrows point at a value, Escape stops."
    ),
    "pad": N_(
        "Drawing pad, 28 by 28 input pixels. Arrows move the pen, Space puts it down or lifts it "
        "and sends the drawing to the network, Enter sends it, E switches pen and eraser, "
        "C clears."
    ),
    "tools": {"pen": N_("pen"), "eraser": N_("eraser"), "clear": N_("clear")},
    "pen_down": N_("{tool} down at column {x}, row {y}"),
    "pen_up": N_("{tool} up at column {x}, row {y}"),
    "nothing_to_send": N_("Nothing drawn since the last answer: press Space to put the pen down."),
    "cleared": N_("Pad cleared."),
    "map_label": N_(
        "{title}, map {channel} of {channels}, {height} by {width} values: arrows point at a "
        "value and outline its receptive field in the input"
    ),
    "map_tooltip": N_("map {channel}"),
    "input": N_("What the network receives, 28 by 28 pixels"),
    "draw_here": N_("Draw here"),
    "input_title": TEXTS["input_title"],
    "probabilities": TEXTS["probabilities"],
    "pointed": N_(
        "{title}, map {channel}, ({row}, {col}) = {value}; receptive field: input rows "
        "{top}–{bottom}, columns {left}–{right} ({height}×{width})"
    ),
    # the view's error line: "failed" filled with one of the actions and the browser's error
    "failed": N_("LeNetExplorer could not {action}: {error}"),
    "actions": {
        "draw": N_("draw"),
        "draw_keys": N_("draw with the keys"),
        "show_pen": N_("show the pen"),
        "hide_pen": N_("hide the pen"),
        "send": N_("send the drawing"),
        "clear": N_("clear the pad"),
        "show_field": N_("show the receptive field"),
        "clear_field": N_("clear the receptive field"),
        "show_answer": N_("show the network's answer"),
        "rebuild_maps": N_("rebuild the feature maps"),
        "build_maps": N_("build the feature maps"),
    },
}


def translated(texts):
    """A dict of message ids (nested dicts too) in the current language."""
    return {
        key: translated(text) if isinstance(text, dict) else _(text) for key, text in texts.items()
    }


def shown_layers(net):
    """The convolution and pooling layers of ``net`` as [(name, module)], in the order they were
    registered (the order they run in an ``nn.Sequential``)."""
    return [(name, m) for name, m in net.named_modules() if isinstance(m, SHOWN_LAYERS)]


def layer_outputs(net, images, names):
    """Run ``net`` on N×1×28×28 inputs; return (logits, outputs of the layers named ``names``).

    The outputs are read with forward hooks, so ``net`` may be any module, not only a Sequential.
    """
    modules, outputs = dict(net.named_modules()), {}
    hooks = [
        modules[name].register_forward_hook(
            lambda module, args, out, name=name: outputs.__setitem__(name, out)
        )
        for name in names
    ]
    try:
        logits = net(images)
    finally:
        for hook in hooks:
            hook.remove()
    return logits, [outputs[name] for name in names]


def field_probe(net):
    """A copy of ``net`` in which no gradient can vanish or cancel, for finding receptive fields.

    Every convolution gets all-one kernels and no bias, max pooling becomes average pooling of the
    same geometry, and every other layer that is not linear, pooling or flattening (activations,
    batch-norm, dropout) becomes the identity. The copy keeps the geometry — kernel sizes, strides,
    paddings — and nothing else, so the input pixels with a nonzero gradient of one of its values
    are exactly the pixels that can affect that value in ``net``: its receptive field (notebook 02
    measured receptive fields the same way).
    """
    probe = copy.deepcopy(net).cpu().float()

    def simplify(module):
        for name, child in module.named_children():
            if isinstance(child, nn.Conv2d):
                child.weight.data.fill_(1.0)
                child.bias = None
            elif isinstance(child, nn.MaxPool2d):
                setattr(
                    module,
                    name,
                    nn.AvgPool2d(child.kernel_size, child.stride, child.padding, child.ceil_mode),
                )
            elif list(child.children()):
                simplify(child)
            elif not isinstance(child, (nn.Linear, nn.AvgPool2d, nn.Flatten)):
                setattr(module, name, nn.Identity())

    simplify(probe)
    return probe.eval()


def receptive_fields(net, names, size=IMAGE_SIZE):
    """The receptive field of every position of every layer in ``names``, from the gradient.

    Returns one int tensor per layer, H×W×4: (top, left, height, width) of the input pixels whose
    gradient of the value at that position (channel 0) is nonzero in ``field_probe(net)``. The
    field does not depend on the channel: every channel of a layer reads the same window.
    """
    probe = field_probe(net)
    _, shapes = layer_outputs(probe, torch.zeros(1, 1, size, size), names)
    fields = []
    for name, shape in zip(names, shapes):
        height, width = shape.shape[-2:]
        rows, cols = (
            torch.arange(height).repeat_interleave(width),
            torch.arange(width).repeat(height),
        )
        x = torch.zeros(height * width, 1, size, size, requires_grad=True)
        _, (out,) = layer_outputs(probe, x, [name])
        (gradient,) = torch.autograd.grad(out[torch.arange(len(x)), 0, rows, cols].sum(), x)
        fields.append(torch.stack([_box(g) for g in gradient[:, 0] != 0]).reshape(height, width, 4))
    return fields


def _box(support):
    """(top, left, height, width) of the True cells of a 2-D bool tensor (all zero when none)."""
    rows, cols = torch.nonzero(support, as_tuple=True)
    if len(rows) == 0:
        return torch.zeros(4, dtype=torch.long)
    top, left = rows.min(), cols.min()
    return torch.stack([top, left, rows.max() - top + 1, cols.max() - left + 1])


def layer_title(module, index_of_kind, shape):
    """'conv 1 · 6×28×28' / 'max pool 2 · 16×7×7' for the index_of_kind-th layer of its kind."""
    kind = _(TEXTS["layer_kinds"][type(module)])
    return f"{kind} {index_of_kind} · {'×'.join(map(str, shape))}"


def check_explorer_net(net, classes):
    """Raise unless ``net`` maps N×1×28×28 images to N×classes logits and has maps to show."""
    if not isinstance(net, nn.Module):
        raise TypeError(
            _("net must be a torch.nn.Module, got {type}").format(type=type(net).__name__)
        )
    device = next(net.parameters()).device
    net.eval()
    try:
        with torch.inference_mode():
            logits = net(torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE, device=device))
    except RuntimeError as error:
        raise ValueError(
            _(
                "net must take N×1×{size}×{size} images (one grey channel), but running it on "
                "a 1×1×{size}×{size} zero image failed: {error}"
            ).format(size=IMAGE_SIZE, error=error)
        ) from error
    if tuple(logits.shape) != (1, len(classes)):
        raise ValueError(
            _(
                "net must return N×{classes} logits (one per class), got shape {shape} for one "
                "image"
            ).format(classes=len(classes), shape=tuple(logits.shape))
        )
    if not shown_layers(net):
        raise ValueError(
            _("net has no convolution or pooling layer whose feature maps could be shown")
        )


def check_explorer_data(data):
    """Raise unless ``data`` has test images N×1×28×28 in [0, 1], N labels and class names."""
    for field in ("test_images", "test_labels", "classes"):
        if not hasattr(data, field):
            raise TypeError(
                _(
                    "data must have test_images, test_labels and classes (e.g. "
                    "helpers.load_fashion_mnist()), got {type} without {field}"
                ).format(type=type(data).__name__, field=field)
            )
    check_tensor("data.test_images", data.test_images, (4,), "N×1×28×28")
    if tuple(data.test_images.shape[1:]) != (1, IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(
            _("data.test_images must have shape N×1×{size}×{size}, got {shape}").format(
                size=IMAGE_SIZE, shape=tuple(data.test_images.shape)
            )
        )
    if len(data.test_labels) != len(data.test_images):
        raise ValueError(
            _(
                "data.test_labels must hold one label per test image ({expected}), got {count}"
            ).format(expected=len(data.test_images), count=len(data.test_labels))
        )


def ink_from_bytes(drawing, size=PAD_SIZE):
    """The pad's bytes (size×size uint8, 255 = full ink) as a size×size float tensor in [0, 1]."""
    if not isinstance(drawing, bytes):
        raise TypeError(_("drawing must be bytes, got {type}").format(type=type(drawing).__name__))
    if len(drawing) != size * size:
        raise ValueError(
            _("drawing must hold {size}×{size} = {count} bytes, got {got}").format(
                size=size, count=size * size, got=len(drawing)
            )
        )
    return torch.from_numpy(
        np.frombuffer(drawing, dtype=np.uint8).reshape(size, size) / 255.0
    ).float()


# The still picture's layout, in pixels, as js/lenet_explorer.js lays out the live view.
INPUT_SCALE = 6  # picture pixels per input pixel
MAP_HEIGHT, MAPS_WIDTH, MAP_GAP = 56, 740, 3  # a map at most 56 high; a layer's row this wide
LAYER_TITLE_WIDTH, PANEL_GAP, TITLE_HEIGHT = 104, 28, 22
BAR_WIDTH, BAR_HEIGHT, ROW_HEIGHT = 120, 13, 17
BAR, BEST_BAR, BORDER = (158, 202, 225), (31, 119, 180), (136, 136, 136)


def map_scale(channels, height, width):
    """Picture pixels per map pixel, as the view's mapScale: maps at most MAP_HEIGHT high and all
    of a layer's maps in one MAPS_WIDTH row, but at least 1 (a layer too wide then wraps)."""
    fit = (MAPS_WIDTH - MAP_GAP * (channels - 1)) // (channels * width)
    return max(1, min(MAP_HEIGHT // height, fit))


def _probability_columns(classes):
    """x offsets of the bars and of the values' right edge in the probability panel."""
    bars = max(text_width(name, "bold", 13) for name in classes) + 8
    return round(bars), round(bars + BAR_WIDTH + 8 + text_width("100.0 %", "bold", 13))


def _draw_probabilities(draw, probabilities, classes, x, y):
    """One row per class: its name, a bar as long as its probability, the probability in %; the
    most probable class bold, its bar dark blue."""
    best = int(np.argmax(probabilities))
    bars, right = (x + offset for offset in _probability_columns(classes))
    for c, (name, p) in enumerate(zip(classes, probabilities)):
        face, top = ("bold" if c == best else "plain"), y + c * ROW_HEIGHT
        draw.text((x, top), name, font=font(face, 13), fill=INK)
        if length := round(BAR_WIDTH * p):
            colour = BEST_BAR if c == best else BAR
            draw.rectangle((bars, top + 2, bars + length - 1, top + 1 + BAR_HEIGHT), fill=colour)
        value = f"{100 * p:.1f} %"
        draw.text((right - text_width(value, face, 13), top), value, font=font(face, 13), fill=INK)


def _layer_rows(fmap):
    """How many maps of a C×H×W layer fit in one row, and the layer's scale."""
    channels, height, width = fmap.shape
    scale = map_scale(channels, height, width)
    per_row = max(1, (MAPS_WIDTH + MAP_GAP) // (width * scale + MAP_GAP))
    return min(per_row, channels), scale


def still_view(image, probabilities, classes, titles, maps):
    """A PIL image of the explorer's view as the browser draws it, without the drawing pad: the
    28×28 input, the class probabilities, and each shown layer's maps (one grey scale per layer,
    so its maps compare). image: 28×28 in [0, 1]; probabilities: 10 floats; titles: one
    'conv 1 · 6×28×28' per layer; maps: one C×H×W tensor per layer."""
    input_title = _(TEXTS["input_title"]).format(size=IMAGE_SIZE)
    input_width = max(IMAGE_SIZE * INPUT_SCALE, round(text_width(input_title, "bold", 14)))
    bars_x = input_width + PANEL_GAP
    layout = [_layer_rows(fmap) for fmap in maps]
    heights = [
        max(-(-fmap.shape[0] // per_row) * (fmap.shape[1] * scale + MAP_GAP), 40) + 8
        for fmap, (per_row, scale) in zip(maps, layout)
    ]
    top_height = TITLE_HEIGHT + max(IMAGE_SIZE * INPUT_SCALE, len(classes) * ROW_HEIGHT) + 16
    width = max(LAYER_TITLE_WIDTH + MAPS_WIDTH, bars_x + _probability_columns(classes)[1])
    canvas = Image.new("RGB", (width, top_height + sum(heights)), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((0, 0), input_title, font=font("bold", 14), fill=INK)
    side = IMAGE_SIZE * INPUT_SCALE
    canvas.paste(Image.fromarray(grey_pixels(image, 0.0, 1.0, INPUT_SCALE)), (0, TITLE_HEIGHT))
    draw.rectangle((0, TITLE_HEIGHT, side - 1, TITLE_HEIGHT + side - 1), outline=BORDER)
    draw.text((bars_x, 0), _(TEXTS["probabilities"]), font=font("bold", 14), fill=INK)
    _draw_probabilities(draw, probabilities, classes, bars_x, TITLE_HEIGHT)
    y = top_height
    for title, fmap, (per_row, scale), height in zip(titles, maps, layout, heights):
        draw.multiline_text(
            (0, y), title.replace(" · ", "\n"), font=font("bold", 13), fill=INK, spacing=4
        )
        pixels = grey_pixels(fmap.numpy(), fmap.min().item(), fmap.max().item(), scale)
        canvas.paste(Image.fromarray(tile(pixels, per_row, MAP_GAP)), (LAYER_TITLE_WIDTH, y))
        y += height
    return canvas


class LeNetView(anywidget.AnyWidget):
    """The browser side of ``LeNetExplorer``: everything drawn, nothing computed.

    From Python: ``classes``, ``layers`` (title, channels, height, width per shown layer),
    ``fields`` (int16 bytes: per layer, H×W×4 receptive-field boxes), ``image`` (float32 bytes, the
    28×28 input in [0, 1]), ``maps`` (float32 bytes: per layer, C×H×W), ``probabilities``,
    ``caption``, ``error``, ``answered`` (the last stroke these values answer), ``input_label``
    (the input canvas's text alternative), ``announcement`` (for the live region),
    ``from_drawing`` (whether the input is the pad's drawing), ``texts`` (the view's words, in
    the learner's language), ``classes`` (the class names as shown). From the browser:
    ``drawing`` (PAD_SIZE² uint8 bytes), ``stroke`` (counts finished strokes), ``pointed``
    ([layer, channel, row, col] under the mouse, [] when none).
    """

    _esm = JS_DIR / "lenet_explorer.js"
    classes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    layers = traitlets.List(traitlets.Dict()).tag(sync=True)
    fields = traitlets.Bytes(b"").tag(sync=True)
    image = traitlets.Bytes(b"").tag(sync=True)
    maps = traitlets.Bytes(b"").tag(sync=True)
    probabilities = traitlets.List(traitlets.Float()).tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    answered = traitlets.Int(0).tag(sync=True)
    pad_size = traitlets.Int(PAD_SIZE).tag(sync=True)
    # binary messages arrive as memoryviews
    drawing = traitlets.Bytes(bytes(PAD_SIZE * PAD_SIZE)).tag(
        sync=True, from_json=lambda value, widget: bytes(value)
    )
    stroke = traitlets.Int(0).tag(sync=True)
    pointed = traitlets.List(traitlets.Int()).tag(sync=True)
    texts = traitlets.Dict().tag(sync=True)  # every word of the view (VIEW_TEXTS, translated)
    # for assistive technology: the input canvas's label, and one sentence per action for the
    # view's polite live region (the view announces the last one of a burst)
    input_label = traitlets.Unicode("").tag(sync=True)
    announcement = traitlets.Unicode("").tag(sync=True)
    from_drawing = traitlets.Bool(False).tag(sync=True)  # False: the view clears its pad


class LeNetExplorer(LessonWidget):
    """Put a test image or your own drawing through a trained LeNet and look inside.

    net: a module taking N×1×28×28 standardised images to N×10 logits (e.g. the lesson's trained
    LeNet); data: test images, labels and class names (``helpers.load_fashion_mnist()``). Choose a
    test image by class and index, or draw on the pad (pen, eraser, clear): a drawing goes through
    ``helpers.prepare_drawing``, and the view shows the 28×28 image the network receives.

    State (updated on every change): ``image`` (28×28 in [0, 1], what the network receives),
    ``probabilities`` (10), ``maps`` (one C×H×W tensor per convolution and pooling layer),
    ``fields`` (per layer, H×W×4 receptive-field boxes: top, left, height, width), ``pointed_text``
    (what the view says about the value under the mouse), ``message``.
    """

    NAME = N_("LeNet explorer")
    LIVE = N_(
        "choose a test image or draw one, and point at a feature map to see its receptive field"
    )

    def __init__(self, net, data, image_class=0, index=0):
        check_explorer_data(data)
        classes = list(data.classes)
        check_explorer_net(net, classes)
        super().__init__("lenet")
        self.net, self.data = net, data
        self.layer_names = [name for name, _ in shown_layers(net)]
        self.fields = receptive_fields(net, self.layer_names)
        self._by_class = [
            torch.nonzero(data.test_labels == c).flatten() for c in range(len(classes))
        ]
        self.class_names = [_(name) for name in classes]  # as the learner reads them
        self.view = LeNetView(classes=self.class_names, texts=translated(VIEW_TEXTS))
        self.view.add_class("lenet-view")
        self.image_class = widgets.Dropdown(
            options=[(name, c) for c, name in enumerate(self.class_names)],
            description=_(TEXTS["test_image"]),
        )
        self.image_class.add_class("lenet-class")
        self.index = int_control(
            widgets.BoundedIntText,
            _(TEXTS["index"]),
            0,
            (0, 0),
            "lenet-index",
            "50px",
            width="160px",
        )
        self.source = widgets.HTML(_(TEXTS["source_test"]))
        self.source.add_class("lenet-source")
        self.ui = widgets.VBox(
            [
                widgets.HBox([self.image_class, self.index, self.source]),
                self.view,
                self.message_html,
            ]
        )
        self.image_class.observe(self._on_choice, names="value")
        self.index.observe(self._on_choice, names="value")
        self.view.observe(self._on_stroke, names="stroke")
        self.view.observe(self._on_pointed, names="pointed")
        self.pointed_text = ""
        self._describe_layers()
        self.choose(image_class, index)

    def _describe_layers(self):
        _probabilities, maps = self._run(torch.zeros(IMAGE_SIZE, IMAGE_SIZE))
        counts, layers = {}, []
        for (name, module), fmap in zip(shown_layers(self.net), maps):
            kind = type(module).__name__
            counts[kind] = counts.get(kind, 0) + 1
            channels, height, width = fmap.shape
            title = layer_title(module, counts[kind], fmap.shape)
            layers.append(dict(title=title, channels=channels, height=height, width=width))
        self.view.layers = layers
        boxes = torch.cat([field.reshape(-1) for field in self.fields]).to(torch.int16)
        self.view.fields = boxes.numpy().astype("<i2").tobytes()

    def _run(self, image):
        """Probabilities (10) and feature maps (C×H×W per shown layer) for one 28×28 image."""
        device = next(self.net.parameters()).device
        batch = image[None, None].to(device)
        probabilities = predict_probabilities(self.net, batch)[0]  # also sets eval mode
        with torch.inference_mode():
            _, maps = layer_outputs(self.net, standardize(batch), self.layer_names)
        return probabilities, [m[0].float().cpu() for m in maps]

    def choose(self, image_class, index):
        """Show test image number ``index`` of class ``image_class`` (an int class index)."""
        check_int("image_class", image_class, 0, len(self._by_class) - 1)
        count = len(self._by_class[image_class])
        check_int("index", index, 0, count - 1)
        with self.quietly():
            self.image_class.value = image_class
            self.index.max = count - 1
            self.index.value = index
        number = self._by_class[image_class][index].item()
        caption = _(TEXTS["test_caption"]).format(
            number=number, name=self.class_names[image_class], index=index, count=count
        )
        self.show(self.data.test_images[number, 0], caption)

    def draw(self, ink):
        """Show a drawing: ink h×w in [0, 1] (1 = full ink), prepared like Fashion-MNIST."""
        self.show(prepare_drawing(ink), _(TEXTS["drawing_caption"]), from_drawing=True)

    def show(self, image, caption, from_drawing=False):
        """Put a 28×28 image in [0, 1] through the network and send everything to the view."""
        check_tensor("image", image, (2,), "28×28")
        if tuple(image.shape) != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                _("image must have shape {size}×{size}, got {shape}").format(
                    size=IMAGE_SIZE, shape=tuple(image.shape)
                )
            )
        if image.min() < 0 or image.max() > 1:
            raise ValueError(
                _("image values must lie in [0, 1], got {low:.3g}..{high:.3g}").format(
                    low=image.min().item(), high=image.max().item()
                )
            )
        self.image = image
        self.probabilities, self.maps = self._run(image)
        self.pointed_text = ""
        self.source.value = _(TEXTS["source_drawing" if from_drawing else "source_test"])
        top = self.top_three()
        with self.view.hold_sync():
            self.view.image = float32_bytes(image)
            self.view.maps = b"".join(float32_bytes(m) for m in self.maps)
            self.view.probabilities = self.probabilities.tolist()
            self.view.caption = caption
            self.view.from_drawing = from_drawing
            self.view.input_label = _(TEXTS["input_label"]).format(caption=caption, top=top)
            self.view.announcement = top
            self.view.answered = self.view.stroke

    def _on_choice(self, change):
        if not self.busy:  # a new class starts at its first image
            index = 0 if change["owner"] is self.image_class else self.index.value
            self.choose(self.image_class.value, index)

    def _on_stroke(self, change):
        try:
            ink = ink_from_bytes(self.view.drawing, self.view.pad_size)
        except (TypeError, ValueError) as error:
            self.message = self.view.error = _(TEXTS["unreadable"]).format(error=error)
            return
        self.message = self.view.error = ""
        self.draw(ink)

    def _on_pointed(self, change):
        try:  # the browser sends what is under the mouse; a stale or odd value is reported
            self.pointed_text = self.describe(*change["new"]) if change["new"] else ""
            if self.pointed_text:
                self.view.announcement = self.pointed_text
        except (TypeError, ValueError) as error:
            self.pointed_text = ""
            self.message = _(TEXTS["not_in_maps"]).format(value=change["new"], error=error)

    def _check_pointed(self, layer, channel, row, col):
        """Raise unless (layer, channel, row, col) is a value of one of the shown maps."""
        if not 0 <= layer < len(self.maps):
            raise ValueError(
                _("layer must be in 0..{last}, got {layer}").format(
                    last=len(self.maps) - 1, layer=layer
                )
            )
        channels, height, width = self.maps[layer].shape
        if not (0 <= channel < channels and 0 <= row < height and 0 <= col < width):
            raise ValueError(
                _(
                    "(channel, row, col) must lie in a {channels}×{height}×{width} map, "
                    "got ({channel}, {row}, {col})"
                ).format(
                    channels=channels, height=height, width=width, channel=channel, row=row, col=col
                )
            )

    def describe(self, layer, channel, row, col):
        """The sentence the view shows for the value at (row, col) of map ``channel`` of layer
        number ``layer``: its value and its receptive field in the input."""
        self._check_pointed(layer, channel, row, col)
        title = self.view.layers[layer]["title"].split(" · ")[0]
        top, left, height, width = self.fields[layer][row, col].tolist()
        value = self.maps[layer][channel, row, col].item()
        return _(VIEW_TEXTS["pointed"]).format(
            title=title,
            channel=channel,
            row=row,
            col=col,
            value=f"{value:.3f}",
            top=top,
            bottom=top + height - 1,
            left=left,
            right=left + width - 1,
            height=height,
            width=width,
        )

    def top_three(self):
        """'T-shirt/top 83.8 %, Shirt 9.1 %, Pullover 3.0 %': the three most probable classes."""
        values, classes = self.probabilities.topk(3)
        names = [self.class_names[c] for c in classes.tolist()]
        pairs = [v for name, p in zip(names, values.tolist()) for v in (name, 100 * p)]
        return _(TEXTS["top_three"]).format(*pairs)

    def _answer(self):
        """'Ankle boot, 97.3 %': the most probable class and its probability."""
        best = int(self.probabilities.argmax())
        percent = 100 * self.probabilities[best].item()
        return _(TEXTS["answer"]).format(name=self.class_names[best], percent=percent)

    def state_line(self):
        return _(TEXTS["state"]).format(caption=self.view.caption, answer=self._answer())

    def picture_lines(self):
        return [
            self.view.caption,
            _(TEXTS["best_line"]).format(answer=self._answer()),
            ("error", self.message),
        ]

    def main_picture(self):
        titles = [layer["title"] for layer in self.view.layers]
        return still_view(
            self.image, self.probabilities.tolist(), self.class_names, titles, self.maps
        )
