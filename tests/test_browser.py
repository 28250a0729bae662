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
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "build" / "browser-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Chromium runs as root in CI, and this network is closed:
# no sandbox, no GPU, no background requests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}  # a common projector resolution

SERVER_START_S = 90
RUN_ALL_S = 600  # the same limit the notebooks get under nbconvert
KERNEL_S = 60
UI_TIMEOUT_MS = 60_000


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


class LabServer(NamedTuple):
    url: str
    token: str
    root_dir: Path


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_lab_settings(settings_dir):
    """Render every cell (windowing would leave off-screen cells out of the DOM); fetch no news."""
    settings = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for name, values in settings.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _log_tail(log_path, lines=40):
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def _server_api(server, path, method="GET"):
    """Call the server's REST API at ``path``; return the decoded JSON answer (None when empty)."""
    request = urllib.request.Request(
        f"{server.url}/api/{path}",
        method=method,
        headers={"Authorization": f"token {server.token}"},
    )
    direct = urllib.request.build_opener(
        urllib.request.ProxyHandler({})
    )  # loopback never goes via a proxy
    with direct.open(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def _wait_until_serving(server, process, log_path):
    """Poll the server's status API until it answers.

    Raises with the server log if the server dies or hangs.
    """
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited with code {process.returncode}:\n{_log_tail(log_path)}"
            )
        try:
            _server_api(server, "status")
            return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise TimeoutError(
        f"jupyter lab did not answer within {SERVER_START_S} s:\n{_log_tail(log_path)}"
    )


@contextlib.contextmanager
def running_jupyter_lab(root_dir, state_dir, log_path):
    """Run ``jupyter lab`` on 127.0.0.1 (free port, random token) serving ``root_dir``.

    It is stopped on exit.

    ``state_dir`` holds its settings, workspaces and Jupyter/IPython folders, so the user's own
    configuration and kernel specs play no part. The server's output goes to ``log_path``.
    """
    _write_lab_settings(state_dir / "settings")
    port = _free_port()
    server = LabServer(f"http://127.0.0.1:{port}", secrets.token_hex(24), root_dir)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(state_dir / "config"),
        JUPYTER_DATA_DIR=str(state_dir / "data"),
        JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"),
        IPYTHONDIR=str(state_dir / "ipython"),
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={server.token}",
        f"--ServerApp.root_dir={root_dir}",
        f"--LabApp.user_settings_dir={state_dir / 'settings'}",
        f"--LabApp.workspaces_dir={state_dir / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
    ]
    if os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_serving(server, process, log_path)
            yield server
        finally:
            process.terminate()  # the server shuts its kernels down on SIGTERM
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


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
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=UI_TIMEOUT_MS
        )
        try:
            yield chromium
        finally:
            chromium.close()


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
        for session in _server_api(lab, "sessions"):
            _server_api(lab, f"sessions/{session['id']}", method="DELETE")


def evaluate(page, body, arg=None, timeout_s=KERNEL_S):
    """Run the async JavaScript function body ``body`` (it sees ``arg``) in the page.

    Fails after ``timeout_s``: ``page.evaluate`` itself waits forever on a promise that never
    settles, hence the race with a timer.
    """
    script = f"""async (arg) => {{
        let timer;
        const timeout = new Promise((_, reject) => {{
            timer = setTimeout(
                () => reject(new Error("timed out after {timeout_s} s")), {timeout_s * 1000});
        }});
        try {{
            return await Promise.race([(async () => {{ {body} }})(), timeout]);
        }} finally {{
            clearTimeout(timer);
        }}
    }}"""
    return page.evaluate(script, arg)


def open_notebook(page, lab, path):
    """Open ``path`` (relative to the server root) in JupyterLab with a python3 kernel.

    Waits until the kernel is idle. The notebook panel is kept as ``window.e2ePanel`` for the later
    steps.
    """
    page.goto(
        f"{lab.url}/lab?reset&token={lab.token}"
    )  # reset: no tabs restored from an earlier test
    page.wait_for_function("() => window.jupyterapp !== undefined")
    evaluate(
        page,
        """
        const app = window.jupyterapp;
        await app.restored;
        // Naming the kernel avoids the kernel chooser for notebooks saved without a kernelspec.
        const panel = await app.commands.execute(
            "docmanager:open", {path: arg, factory: "Notebook", kernel: {name: "python3"}});
        await panel.context.ready;
        await panel.sessionContext.ready;
        window.e2ePanel = panel;
    """,
        path,
    )
    page.wait_for_function("""() => {
        const kernel = window.e2ePanel.sessionContext.session?.kernel;
        return kernel && kernel.connectionStatus === "connected" && kernel.status === "idle";
    }""")


def run_all_cells(page):
    """Run every cell of the open notebook.

    Returns the error outputs ("Name: message"), [] when all ran.
    """
    return evaluate(
        page,
        """
        const panel = window.e2ePanel;
        window.jupyterapp.shell.activateById(panel.id);
        const allRan = await window.jupyterapp.commands.execute("notebook:run-all-cells");
        const errors = panel.content.widgets.filter((cell) => cell.model.type === "code")
            .flatMap((cell) => cell.model.outputs.toJSON())
            .filter((output) => output.output_type === "error")
            .map((output) => `${output.ename}: ${output.evalue}`);
        return allRan || errors.length ? errors : ["run-all-cells stopped before the last cell"];
    """,
        timeout_s=RUN_ALL_S,
    )


def kernel_value(page, expression):
    """Evaluate the Python ``expression`` in the notebook's kernel (outside any cell).

    The value comes back via JSON.
    """
    code = f"print(__import__('json').dumps({expression}))"  # leaves no new name in the notebook
    reply = evaluate(
        page,
        """
        const future = window.e2ePanel.sessionContext.session.kernel.requestExecute(
            {code: arg, store_history: false});
        let printed = "";
        future.onIOPub = (message) => {
            const content = message.content;
            if (message.header.msg_type === "stream") printed += content.text;
            if (message.header.msg_type === "error") {
                printed += `${content.ename}: ${content.evalue}`;
            }
        };
        const reply = await future.done;
        return {status: reply.content.status, printed};
    """,
        code,
    )
    assert reply["status"] == "ok", f"kernel could not evaluate {expression!r}: {reply['printed']}"
    return json.loads(reply["printed"])


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
    feature_map = page.locator("img.kernel-feature-map")
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
    assert new_picture != old_picture, "the feature map picture did not change"
    assert new_picture == sha256_in_kernel(page, "editor.figure_png"), (
        "the browser does not show the picture the kernel drew for the new kernel"
    )
    assert page.locator(".kernel-preset select").input_value() == "custom"
    assert kernel_value(page, "editor.preset.value") == "custom"


def test_pooling_explorer_redraws_after_typing_a_window_size(page, lab):
    """Notebook 04: type a new window size, press Enter.

    The pooled picture, shape and kernel state follow.
    """
    open_and_run(page, lab, "04_pooling.ipynb")
    window = page.locator(".pool-size input")
    window.wait_for(state="visible")
    widget = widget_output(page, "pool-output")
    assert_usable(page, widget)
    pooled_picture = page.locator("img.pool-output")
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
