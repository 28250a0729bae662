"""End-to-end test of the lesson widgets in a real browser: JupyterLab driven by headless Chromium.

Each test starts from a temporary copy of ``notebooks/`` and ``figures/`` (the committed notebooks
are never touched), opens a notebook in JupyterLab, runs all its cells, changes one widget control
the way a learner would (type a value, press Enter) and asserts that the page shows a new picture,
byte for byte the one the Python object drew, and that the object in the notebook's kernel holds
the new value and computes what PyTorch computes with it. Screenshots are saved to
``build/browser-artifacts/`` for people to look at; they are never compared pixel by pixel (fonts
differ between machines).

The browser is the system's Chromium (Debian package ``chromium``), started through Playwright's
``executable_path``; nothing downloads a browser. Without Chromium the tests skip, except in CI
(``$CI`` set), where they fail: CI installs Chromium and must run them.
"""

import contextlib
import json
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from support.browser import (
    CHROMIUM,
    EXPLORER_CELLS,
    STROKES,
    UI_TIMEOUT_MS,
    VIEWPORT,
    assert_no_axe_violations,
    draw_stroke,
    draw_stroke_with_keys,
    explorer_root,
    focused_class,
    headless_chromium,
    kernel_value,
    open_notebook,
    point_at,
    point_at_kernel_map,
    press_keys,
    run_all_cells,
    running_jupyter_lab,
    server_api,
    wait_for_announcement,
    write_notebook,
)

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "build" / "browser-artifacts"


def _in_ci():
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def _require_chromium():
    """Skip where Chromium is missing, but fail in CI, which installs it and must run them."""
    if CHROMIUM.is_file():
        return
    reason = f"{CHROMIUM} not found: install Debian's chromium package to run the browser tests"
    if _in_ci():
        pytest.fail(f"{reason} ($CI is set, so this test must run)")
    pytest.skip(reason)


# --------------------------------------------------------------------------------------------------
# JupyterLab server
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a temporary copy of the notebooks and their figures."""
    _require_chromium()
    root_dir = tmp_path_factory.mktemp("lab-root")
    for folder in ("notebooks", "figures"):
        shutil.copytree(
            REPO_ROOT / folder,
            root_dir / folder,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    # No picture of an earlier run may pass for this one's. The folder itself stays: another test
    # run in the same checkout may be writing into it.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old_file in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.log")]:
        old_file.unlink(missing_ok=True)
    with running_jupyter_lab(
        root_dir, tmp_path_factory.mktemp("lab-state"), ARTIFACTS / "jupyter-lab.log"
    ) as server:
        yield server


# --------------------------------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Headless system Chromium, closed when the module's tests are done."""
    _require_chromium()
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(lab, browser, request):
    """A fresh browser page.

    On teardown saves its console log and a screenshot of its last state, and shuts down the kernels
    it started (each holds torch in memory).
    """
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    try:
        yield page
    finally:
        name = request.node.name
        (ARTIFACTS / f"{name}-console.log").write_text("\n".join(console))
        with contextlib.suppress(PlaywrightError):  # a crashed page has no last state to save
            page.screenshot(path=ARTIFACTS / f"{name}-last-state.png")
        context.close()
        for session in server_api(lab, "sessions"):
            server_api(lab, f"sessions/{session['id']}", method="DELETE")


def image_source(locator):
    """The ``src`` of an ``img`` once the picture has loaded.

    An ``ipywidgets.Image`` shows a blob URL.
    """
    locator.wait_for(state="visible")
    locator.evaluate("async (img) => { if (!img.complete) await img.decode(); }")
    return locator.get_attribute("src")


def wait_for_new_image(page, locator, old_source):
    """Wait until the ``img`` has loaded a picture from a ``src`` other than ``old_source``."""
    page.wait_for_function(
        "([img, old]) => img.src !== old && img.complete && img.naturalWidth > 0",
        arg=[locator.element_handle(), old_source],
    )


def widget_output(page, css_class):
    """The cell output area that holds the widget with the given CSS class.

    That is what a screenshot should frame.
    """
    return page.locator(".jp-OutputArea-output").filter(has=page.locator(f".{css_class}")).first


@contextlib.contextmanager
def all_in_window(page, locator):
    """Make the window tall enough for all of ``locator`` and scroll it into view.

    The window is restored after. JupyterLab scrolls inside the notebook, not the page, so an
    element taller than the window is cut off. The width stays ``VIEWPORT``'s, so the layout is the
    one a learner sees.
    """
    height = int(locator.bounding_box()["height"]) + 300
    page.set_viewport_size({**VIEWPORT, "height": max(VIEWPORT["height"], height)})
    try:
        locator.scroll_into_view_if_needed()
        yield
    finally:
        page.set_viewport_size(VIEWPORT)


def screenshot_whole(page, locator, name):
    """Save a picture of all of ``locator`` as ``ARTIFACTS/name``."""
    with all_in_window(page, locator):
        locator.screenshot(path=ARTIFACTS / name)


def unusable_controls(page, output):
    """Describe what a learner could not use in the widget output ``output``.

    At the ``VIEWPORT`` width, each text box, drop-down or button must be at least 30 px wide and
    not covered (at its left and right ends) by anything else, such as a picture; the widget must
    not be wider than the notebook column.
    """
    with all_in_window(page, output):
        return output.evaluate("""(output) => {
            const describe = (control) => {
                const row = control.closest(".widget-inline-hbox, .widget-toggle-buttons");
                const name = row?.querySelector(".widget-label")?.textContent.trim()
                    || control.textContent.trim();
                return `the ${control.tagName.toLowerCase()} "${name || control.value}"`;
            };
            const problems = [];
            for (const control of output.querySelectorAll("input, select, button")) {
                const box = control.getBoundingClientRect();
                if (box.width === 0 && box.height === 0) continue;      // not displayed
                if (box.width < 30) {
                    const width = Math.round(box.width);
                    problems.push(`${describe(control)} is squeezed to ${width} px wide`);
                    continue;
                }
                const cover = [box.left + 3, box.right - 3]
                    .map((x) => document.elementFromPoint(x, box.top + box.height / 2))
                    .find((hit) => !control.contains(hit));
                if (cover !== undefined) {
                    const tag = cover?.tagName.toLowerCase();
                    problems.push(`${describe(control)} is (partly) hidden under `
                                  + `<${tag} class="${cover?.className}">`);
                }
            }
            const overflow = output.scrollWidth - output.clientWidth;
            if (overflow > 1) {
                problems.push(`the widget is ${overflow} px wider than the notebook column`);
            }
            return problems;
        }""")


def assert_usable(page, widget):
    problems = unusable_controls(page, widget)
    assert not problems, f"at {VIEWPORT['width']} px wide a learner cannot use: " + "; ".join(
        problems
    )


def screenshot_as_projected(page, locator, name):
    """Save the window (``VIEWPORT``) as ``ARTIFACTS/name``.

    The page is scrolled so that ``locator`` starts at its top.
    """
    locator.evaluate("(element) => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=ARTIFACTS / name)


def shown_picture_sha256(locator):
    """SHA-256 of the PNG bytes the ``img`` shows (hex), read back from its blob URL."""
    return locator.evaluate("""async (img) => {
        const bytes = await (await fetch(img.src)).arrayBuffer();
        const digest = await crypto.subtle.digest("SHA-256", bytes);
        return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    }""")


def sha256_in_kernel(page, bytes_expression):
    """SHA-256 (hex) of the bytes the Python ``bytes_expression`` gives in the notebook's kernel."""
    return kernel_value(page, f"__import__('hashlib').sha256({bytes_expression}).hexdigest()")


# --------------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------------


def play_with_keys(page, prefix, widget_name, picture):
    """With the keyboard alone: focus widget ``prefix``'s window slider, Tab to its Play button
    (CSS class ``prefix-play``), press Enter, wait for two new pictures, press Enter again (the
    button now pauses). Returns the window position the kernel then holds (≥ 2 past the start);
    fails unless the live region then says the kernel's announcement for it. Then Tab to Stop
    and Space: the window goes back to the first position."""
    start = kernel_value(page, f"{widget_name}.window.value")
    source = image_source(picture)
    page.locator(f".{prefix}-window .noUi-handle").focus()
    for _ in range(4):
        page.keyboard.press("Tab")
        if "lesson-player-play" in focused_class(page):
            break
    play = page.locator(f".{prefix}-play .lesson-player-play")
    assert "lesson-player-play" in focused_class(page), "Tab from the slider misses Play"
    assert play.get_attribute("aria-label").startswith("Play")
    page.screenshot(path=ARTIFACTS / f"{prefix}-play-focus-1280x800.png")
    live = page.locator(f".{prefix}-play .lesson-player-live")
    live.evaluate("""(live) => {
        live.dataset.changes = "0";
        live.dataset.started = String(Date.now());
        new MutationObserver(() => { live.dataset.changes = String(+live.dataset.changes + 1); })
            .observe(live, {childList: true, characterData: true, subtree: true});
    }""")
    page.keyboard.press("Enter")
    assert play.get_attribute("aria-label").startswith("Pause")
    for _ in range(2):
        wait_for_new_image(page, picture, source)
        source = image_source(picture)
    if page.locator(f".{prefix}-play").get_attribute("data-playing") == "1":
        page.keyboard.press("Enter")  # pause (a short play may have stopped at its end)
    page.locator(f".{prefix}-play[data-playing='0']").wait_for()
    position = kernel_value(page, f"{widget_name}.window.value")
    assert position >= start + 2, f"the window did not advance: {start} → {position}"
    # No flood while playing: a sentence at most every 1.5 s, and one more when it stops.
    changes, seconds = live.evaluate(
        "(live) => [+live.dataset.changes, (Date.now() - +live.dataset.started) / 1000]"
    )
    assert changes <= seconds / 1.5 + 3, f"{changes} announcements in {seconds:.1f} s of play"
    assert (live.get_attribute("role"), live.get_attribute("aria-live")) == ("status", "polite")
    for _ in range(40):  # the kernel may still be answering the last steps: read both again
        want = kernel_value(page, f"{widget_name}.announcement")
        if live.text_content() == want:
            break
        page.wait_for_timeout(250)
    said = live.text_content()
    assert said == want, f"the live region says {said!r}, the kernel {want!r}"
    # Tab to Stop, Space: back to the first window.
    page.keyboard.press("Tab")
    assert "lesson-player-stop" in focused_class(page), "Tab from Play misses Stop"
    page.keyboard.press(" ")
    for _ in range(40):
        if kernel_value(page, f"{widget_name}.window.value") == 0:
            break
        page.wait_for_timeout(250)
    assert kernel_value(page, f"{widget_name}.window.value") == 0, "Stop did not go back to 0"
    return position


def open_and_run(page, lab, notebook):
    """Open ``notebooks/<notebook>`` and run all its cells; fail with the errors if any raised."""
    open_notebook(page, lab, f"notebooks/{notebook}")
    errors = run_all_cells(page)
    assert not errors, f"{notebook} raised in JupyterLab: {errors}"


def test_kernel_editor_redraws_after_typing_a_kernel_value(page, lab):
    """Notebook 02: type a new top-left kernel entry, press Enter.

    The feature map and the kernel follow.
    """
    open_and_run(page, lab, "02_edge_detection.ipynb")
    cells = page.locator(".kernel-cell input")
    cells.first.wait_for(state="visible")
    k = kernel_value(page, "editor.size.value")
    assert cells.count() == k * k, (
        f"expected a {k}×{k} grid of kernel boxes, found {cells.count()} boxes"
    )
    widget = widget_output(page, "kernel-feature-map")
    assert_usable(page, widget)
    feature_map = page.locator(".kernel-feature-map img")
    names = cells.evaluate_all("(inputs) => inputs.map((i) => i.labels[0].textContent)")
    assert names[0] == "kernel row 1 column 1" and names[-1] == f"kernel row {k} column {k}"
    assert cells.first.evaluate("(input) => input.labels[0].getBoundingClientRect().width") <= 1
    preset_name = page.locator(".kernel-preset select").evaluate("(s) => s.labels[0].textContent")
    assert preset_name == "preset"
    assert feature_map.get_attribute("alt") == kernel_value(page, "editor.picture.alt")
    old_source = image_source(feature_map)
    old_picture = shown_picture_sha256(feature_map)
    old_entry = kernel_value(page, "float(editor.kernel[0, 0])")
    redraws = kernel_value(page, "editor.redraw_count")
    screenshot_whole(page, widget, "02-kernel-editor-before.png")

    new_entry = 2.0 if old_entry != 2.0 else -2.0
    cells.first.fill(str(new_entry))
    cells.first.press("Enter")

    wait_for_new_image(page, feature_map, old_source)
    screenshot_whole(page, widget, "02-kernel-editor-after.png")
    screenshot_as_projected(page, widget, "02-kernel-editor-1280x800.png")
    assert_usable(page, widget)
    assert kernel_value(page, "float(editor.kernel[0, 0])") == new_entry
    assert kernel_value(page, "editor.redraw_count") == redraws + 1, (
        "one edited box should redraw once"
    )
    assert kernel_value(
        page,
        "torch.allclose(editor.feature_map, torch.nn.functional.conv2d("
        "editor.image[None, None], editor.kernel[None, None])[0, 0], atol=1e-5)",
    )
    new_picture = shown_picture_sha256(feature_map)
    assert feature_map.get_attribute("alt") == kernel_value(page, "editor.picture.alt")
    assert new_picture != old_picture, "the feature map picture did not change"
    assert new_picture == sha256_in_kernel(page, "editor.figure_png"), (
        "the browser does not show the picture the kernel drew for the new kernel"
    )
    assert page.locator(".kernel-preset select").input_value() == "custom"
    assert kernel_value(page, "editor.preset.value") == "custom"

    # Point at a feature-map pixel: its window lights up, with the products and their sum.
    inspector = page.locator(".kernel-inspector")
    inspector.evaluate("(element) => element.scrollIntoView({block: 'start'})")
    height, width = kernel_value(page, "list(editor.feature_map.shape)")
    row, col = height // 2, width // 3
    point_at_kernel_map(page, row, col)
    assert kernel_value(page, "editor.inspector.pointed") == [row, col]
    assert inspector.get_attribute("data-window") == f"{row},{col},{k},{k}"
    lines = kernel_value(page, "editor.inspector.window_text").splitlines()
    shown = " ".join(inspector.locator(".kernel-product").all_inner_texts())
    assert shown.split() == " ".join(lines[1:-1]).split(), (
        f"the page shows the products {shown!r}, Python computed {lines[1:-1]}"
    )
    assert inspector.locator(".kernel-window-sum").inner_text().strip() == lines[-1]
    expected_sum = kernel_value(page, f"float(editor.feature_map[{row}, {col}])")
    assert float(lines[-1].split("=")[1]) == pytest.approx(expected_sum, rel=1e-2, abs=1e-3)
    page.screenshot(path=ARTIFACTS / "02-kernel-inspector-1280x800.png")  # still pointing

    # Keyboard: Tab from the last control to the map, arrows move the pointed pixel, and the live
    # region says the pixel's sentence.
    page.locator(".kernel-image-index input").focus()
    page.keyboard.press("Tab")
    map_canvas = inspector.locator("canvas.kernel-inspector-map")
    assert map_canvas.evaluate("(canvas) => document.activeElement === canvas"), (
        "Tab from the image index does not reach the feature map"
    )
    assert map_canvas.evaluate("(canvas) => getComputedStyle(canvas).outlineStyle") == "solid", (
        "the focused feature map shows no focus ring"
    )
    assert map_canvas.get_attribute("aria-label").startswith(f"feature map {height}×{width}")
    for key in ("ArrowRight", "ArrowRight", "ArrowDown"):
        page.keyboard.press(key)
    row, col = row + 1, col + 2
    page.wait_for_function(
        "([root, want]) => root.dataset.pointed === want",
        arg=[inspector.element_handle(), f"{row},{col}"],
    )
    page.wait_for_function(  # the view waits until the pointed pixel rests; the mouse's
        # sentence from before may still be there
        "([live, want]) => live.textContent.startsWith(want)",
        arg=[inspector.locator(".kernel-inspector-live").element_handle(), f"Y[{row}, {col}] ="],
    )
    page.screenshot(path=ARTIFACTS / "02-kernel-keyboard-focus-1280x800.png")
    assert kernel_value(page, "editor.inspector.pointed") == [row, col]
    assert inspector.get_attribute("data-window") == f"{row},{col},{k},{k}"
    lines = kernel_value(page, "editor.inspector.window_text").splitlines()
    shown = " ".join(inspector.locator(".kernel-product").all_inner_texts())
    assert shown.split() == " ".join(lines[1:-1]).split()
    assert inspector.locator(".kernel-window-sum").inner_text().strip() == lines[-1]
    live = inspector.locator(".kernel-inspector-live")
    assert live.get_attribute("role") == "status"
    assert live.get_attribute("aria-live") == "polite"
    sentence = live.text_content()
    assert sentence == kernel_value(page, "editor.inspector.announcement")
    expected_sum = kernel_value(page, f"float(editor.feature_map[{row}, {col}])")
    assert float(sentence.rstrip(".").rsplit("= ", 1)[1]) == pytest.approx(
        expected_sum, rel=1e-2, abs=1e-3
    )
    assert inspector.locator(".kernel-inspector-keys").inner_text().startswith("Keys: ")
    assert_no_axe_violations(page, widget)


def test_pooling_explorer_redraws_after_typing_a_window_size(page, lab):
    """Notebook 04: type a new window size, press Enter.

    The pooled picture, shape and kernel state follow.
    """
    open_and_run(page, lab, "04_pooling.ipynb")
    window = page.locator(".pool-size input")
    window.wait_for(state="visible")
    widget = widget_output(page, "pool-output")
    assert_usable(page, widget)
    pooled_picture = page.locator(".pool-output img")
    old_source = image_source(pooled_picture)
    old_picture = shown_picture_sha256(pooled_picture)
    old_size, largest = kernel_value(page, "[explorer.pool_size.value, explorer.pool_size.max]")
    old_shape_text = kernel_value(page, "explorer.shape_text")
    screenshot_whole(page, widget, "04-pooling-explorer-before.png")

    new_size = old_size + 1 if old_size < largest else old_size - 1
    window.fill(str(new_size))
    window.press("Enter")

    wait_for_new_image(page, pooled_picture, old_source)
    screenshot_whole(page, widget, "04-pooling-explorer-after.png")
    screenshot_as_projected(page, widget, "04-pooling-explorer-1280x800.png")
    assert_usable(page, widget)
    assert kernel_value(page, "explorer.pool_size.value") == new_size
    assert kernel_value(page, "explorer.message") == "", (
        "the new window size should be a valid setting"
    )
    shape_text = kernel_value(page, "explorer.shape_text")
    assert shape_text != old_shape_text
    assert page.locator(".pool-shape").inner_text().strip() == shape_text
    torch_pool = (
        "(torch.nn.functional.max_pool2d if explorer.mode.value == 'max'"
        " else torch.nn.functional.avg_pool2d)"
        "(explorer.images[explorer.image.value][None, None], explorer.pool_size.value,"
        " explorer.stride.value, explorer.padding.value)[0, 0]"
    )
    assert kernel_value(page, f"torch.allclose(explorer.pooled, {torch_pool})"), (
        "the kernel's pooled output does not match PyTorch's pooling with the new window"
    )
    new_picture = shown_picture_sha256(pooled_picture)
    assert new_picture != old_picture, "the pooled picture did not change"
    assert new_picture == sha256_in_kernel(page, "explorer.output_png"), (
        "the browser does not show the picture the kernel drew for the new window size"
    )

    # Play: the window slides; the page shows the kernel's written-out max or mean.
    widget.evaluate("(element) => element.scrollIntoView({block: 'start'})")
    play_with_keys(page, "pool", "explorer", pooled_picture)
    page.wait_for_function(
        "([img, text]) => img.complete && document.querySelector('.pool-window-value')"
        ".innerText.trim() === text",
        arg=[pooled_picture.element_handle(), kernel_value(page, "explorer.window_text")],
    )
    assert shown_picture_sha256(pooled_picture) == sha256_in_kernel(page, "explorer.output_png")
    assert pooled_picture.get_attribute("alt") == kernel_value(page, "explorer.alt_text()")
    page.screenshot(path=ARTIFACTS / "04-pooling-explorer-play-1280x800.png")
    assert_no_axe_violations(page, widget)


# The gradient of one feature-map value of the explorer's network with respect to its input, in
# the notebook's kernel: (top, left, height, width) of the pixels with a nonzero gradient, whether
# all pixels of that box have one, and how many do.
GRADIENT_FIELD = """
from convlab.widgets.lenet_explorer import ink_from_bytes


def gradient_field(layer, channel, row, col):
    x = helpers.standardize(explorer.image[None, None]).requires_grad_(True)
    seen = {}
    module = dict(net.named_modules())[explorer.layer_names[layer]]
    hook = module.register_forward_hook(lambda m, args, out: seen.setdefault("out", out))
    net(x)
    hook.remove()
    seen["out"][0, channel, row, col].backward()
    support = x.grad[0, 0] != 0
    rows, cols = support.nonzero(as_tuple=True)
    top, left = rows.min().item(), cols.min().item()
    height, width = rows.max().item() - top + 1, cols.max().item() - left + 1
    full = bool(support[top : top + height, left : left + width].all())
    return [top, left, height, width, full, int(support.sum())]
"""


def assert_shows_helpers_answer(page, root, ink):
    """The probabilities on the page are helpers' for the drawing synced back; returns them."""
    expected = kernel_value(
        page,
        f"helpers.predict_probabilities(net, helpers.prepare_drawing({ink})[None, None])[0]"
        ".tolist()",
    )
    shown = json.loads(root.get_attribute("data-probabilities"))
    assert shown == pytest.approx(expected, abs=1e-6), "the page does not show helpers' answer"
    return expected


def test_lenet_explorer_answers_a_drawn_stroke_and_outlines_receptive_fields(page, lab):
    """Notebook 05's explorer: draw with the mouse, then point at feature-map values.

    The probabilities shown are helpers' on the exact pixels the view synced back; the outlined
    field is the set of input pixels with a nonzero gradient of the pointed value.
    """
    write_notebook(lab.root_dir / "notebooks" / "explorer_check.ipynb", EXPLORER_CELLS)
    open_and_run(page, lab, "explorer_check.ipynb")
    root = explorer_root(page)
    root.locator(".lx-pad").wait_for(state="visible")
    widget = widget_output(page, "lenet-explorer")
    assert_usable(page, widget)
    screenshot_as_projected(page, widget, "05-lenet-explorer-test-image-1280x800.png")

    stroke = draw_stroke(page, STROKES[0])
    assert kernel_value(page, "[explorer.view.stroke, explorer.view.answered]") == [stroke] * 2
    kernel_value(page, f"exec({GRADIENT_FIELD!r}, globals())")
    ink = "ink_from_bytes(explorer.view.drawing)"
    assert kernel_value(page, f"int(({ink} > 0).sum())") > 200, "the stroke left no ink"
    expected = assert_shows_helpers_answer(page, root, ink)
    percentages = root.locator(".lx-value").all_inner_texts()
    assert percentages == [f"{100 * p:.1f} %" for p in expected]
    screenshot_as_projected(page, widget, "05-lenet-explorer-drawn-1280x800.png")

    layers = kernel_value(page, "explorer.view.layers")
    widget.evaluate("(element) => element.scrollIntoView({block: 'start'})")
    for layer, (channel, row, col) in enumerate([(1, 0, 27), (2, 7, 3), (5, 6, 6), (9, 3, 3)]):
        field = point_at(page, layer, channel, row, col)
        *box, full, count = kernel_value(page, f"gradient_field({layer}, {channel}, {row}, {col})")
        assert field == tuple(box), f"{layers[layer]['title']}: outlined {field}, gradient {box}"
        assert full and count == box[2] * box[3], "the gradient's support is not a full rectangle"
        shown_text = root.locator(".lx-readout").inner_text()
        assert shown_text == kernel_value(page, "explorer.pointed_text")
        # at 1280×800 the input stays in sight while the mouse is on the deepest maps
        for part in (root.locator(".lx-input"), root.locator(f"canvas.lx-map-{layer}").first):
            box = part.bounding_box()
            assert 0 <= box["y"] and box["y"] + box["height"] <= VIEWPORT["height"]
    page.screenshot(path=ARTIFACTS / "05-lenet-explorer-field-1280x800.png")

    # the same with the keyboard: Tab from the index box to the pad, draw, send, hear the answer
    page.mouse.move(5, 5)  # off the maps: what scrolls under a still mouse is not pointed at
    page.locator(".lenet-index input").focus()
    page.keyboard.press("Tab")
    assert "lx-pad" in focused_class(page), "Tab from the index box does not reach the pad"
    page.screenshot(path=ARTIFACTS / "05-lenet-explorer-pad-focus-1280x800.png")
    draw_stroke_with_keys(page)
    assert kernel_value(page, f"int(({ink} > 0).sum())") > 200, "the keys left no ink"
    expected = assert_shows_helpers_answer(page, root, ink)
    wait_for_announcement(page, kernel_value(page, "explorer.top_three()"))
    page.screenshot(path=ARTIFACTS / "05-lenet-explorer-keyboard-drawing-1280x800.png")

    # Tab on past the pen, eraser and clear buttons to the first map; arrows move the pointed value
    press_keys(page, ["Tab"] * 4)
    assert "lx-map-0" in focused_class(page), "Tab from the pad does not reach the first map"
    before = root.get_attribute("data-field")
    press_keys(page, ["ArrowRight", "ArrowRight", "ArrowDown"])
    page.wait_for_function(
        "(root) => root.dataset.pointed === '0,0,15,16'", arg=root.element_handle()
    )
    field = tuple(int(v) for v in root.get_attribute("data-field").split(","))
    assert root.get_attribute("data-field") != before, "the outline did not move"
    assert field == tuple(kernel_value(page, "gradient_field(0, 0, 15, 16)")[:4])
    wait_for_announcement(page, kernel_value(page, "explorer.describe(0, 0, 15, 16)"))
    page.screenshot(path=ARTIFACTS / "05-lenet-explorer-map-focus-1280x800.png")
    assert_no_axe_violations(page, widget)


def test_conv_shape_explorer_play_slides_the_window_and_writes_each_sum(page, lab):
    """Notebook 01: press play; the window advances, the page shows the picture and the sum of
    products that the kernel computed for the position it reached."""
    open_and_run(page, lab, "01_cross_correlation.ipynb")
    widget = widget_output(page, "shape-play")
    picture = page.locator(".shape-drawing img")
    widget.evaluate("(element) => element.scrollIntoView({block: 'start'})")
    assert_usable(page, widget)
    # At 1280×800 the sliders, the play buttons and the picture they change are seen together.
    picture.wait_for()
    boxes = [page.locator(f".shape-{name}").bounding_box() for name in ("input", "play")]
    boxes.append(picture.bounding_box())
    assert all(0 <= b["y"] and b["y"] + b["height"] <= VIEWPORT["height"] for b in boxes), boxes
    assert picture.bounding_box()["x"] > boxes[1]["x"], "the picture wrapped under the controls"
    play_with_keys(page, "shape", "shape_explorer", picture)
    page.wait_for_function(  # the last picture and line the kernel sent have arrived
        "([img, text]) => img.complete && document.querySelector('.shape-window-sum')"
        ".innerText.trim() === text",
        arg=[picture.element_handle(), kernel_value(page, "shape_explorer.window_text")],
    )
    assert shown_picture_sha256(picture) == sha256_in_kernel(page, "shape_explorer.drawing_png")
    assert kernel_value(
        page,
        "shape_explorer.window_text.endswith(f'= {int(shape_explorer.Y.flatten()"
        "[shape_explorer.window.value])}')",
    ), "the written sum is not the output value at the window's position"
    assert picture.get_attribute("alt") == kernel_value(page, "shape_explorer.alt_text()")
    page.screenshot(path=ARTIFACTS / "01-shape-explorer-play-1280x800.png")
    assert_no_axe_violations(page, widget)
