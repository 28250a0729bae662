"""Drive JupyterLab in headless Chromium: the browser test (tests/test_browser.py) and the widget
latency benchmark (benchmarks/widget_latency.py) share this.

The server runs on 127.0.0.1 with a random token and its own settings, workspaces and Jupyter
folders, so the user's configuration plays no part. The browser is the system's Chromium (Debian
package ``chromium``) started through Playwright's ``executable_path``: nothing downloads a browser.
"""

import contextlib
import importlib.resources
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import nbformat

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


def server_api(server, path, method="GET"):
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
            server_api(server, "status")
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


@contextlib.contextmanager
def headless_chromium():
    """Headless system Chromium (through playwright), closed when the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=UI_TIMEOUT_MS
        )
        try:
            yield chromium
        finally:
            chromium.close()


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


def write_notebook(path, cells):
    """Write a notebook of code cells (source strings) to ``path``, for a browser run to open."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


def drag(page, locator, points):
    """Press the mouse at the first of ``points`` (fractions of ``locator``'s box), move through
    the others and release: one stroke, as a learner draws it."""
    box = locator.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


# --------------------------------------------------------------------------------------------------
# LeNetExplorer: a notebook that shows one, and the learner's moves
# --------------------------------------------------------------------------------------------------

# A seed LeNet trained for one epoch on a third of the training set (a few seconds), so that its
# answers mean something without the minutes notebook 05 trains for.
EXPLORER_CELLS = [
    """import torch
from types import SimpleNamespace

import helpers

data = helpers.load_fashion_mnist()
torch.manual_seed(0)
net = helpers.lenet("notes")
part = SimpleNamespace(
    train_images=data.train_images[:20000], train_labels=data.train_labels[:20000],
    test_images=data.test_images[:500], test_labels=data.test_labels[:500],
)
helpers.train(net, part, epochs=1, progress=False);""",
    "explorer = helpers.LeNetExplorer(net, data)\nexplorer",
]
# Strokes as fractions of the pad: a T-shirt-like outline, a trouser, a bag, a shoe sole …
STROKES = [
    [(0.2, 0.25), (0.4, 0.15), (0.6, 0.15), (0.8, 0.25), (0.7, 0.4), (0.7, 0.85), (0.3, 0.85),
     (0.3, 0.4), (0.2, 0.25)],
    [(0.35, 0.1), (0.65, 0.1), (0.7, 0.9), (0.55, 0.9), (0.5, 0.35), (0.45, 0.9), (0.3, 0.9),
     (0.35, 0.1)],
    [(0.2, 0.35), (0.8, 0.35), (0.8, 0.85), (0.2, 0.85), (0.2, 0.35)],
    [(0.1, 0.6), (0.5, 0.55), (0.9, 0.7), (0.9, 0.8), (0.1, 0.8), (0.1, 0.6)],
]  # fmt: skip


def explorer_root(page):
    return page.locator(".lenet-explorer")


def draw_stroke(page, points):
    """Draw one stroke on the explorer's pad and wait until the view shows Python's answer to it.

    Returns the stroke's number (the view counts finished strokes)."""
    root = explorer_root(page)
    pad = root.locator(".lx-pad")
    pad.scroll_into_view_if_needed()
    before = int(root.get_attribute("data-answered") or 0)
    drag(page, pad, points)
    page.wait_for_function(
        "([root, n]) => Number(root.dataset.answered) === n",
        arg=[root.element_handle(), before + 1],
    )
    return before + 1


def point_at(page, layer, channel, row, col):
    """Move the mouse onto value (row, col) of map ``channel`` of shown layer ``layer``; wait until
    the view outlines its receptive field. Returns the field (top, left, height, width)."""
    root = explorer_root(page)
    canvas = root.locator(f"canvas.lx-map-{layer}").nth(channel)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    scale = float(canvas.get_attribute("data-scale"))
    page.mouse.move(box["x"] + (col + 0.5) * scale, box["y"] + (row + 0.5) * scale)
    page.wait_for_function(
        "([root, want]) => root.dataset.pointed === want",
        arg=[root.element_handle(), f"{layer},{channel},{row},{col}"],
    )
    return tuple(int(v) for v in root.get_attribute("data-field").split(","))


def explorer_latencies(page):
    """The view's own latency records (ms): {"stroke": [...], "hover": [...]}."""
    return explorer_root(page).evaluate("(root) => root.__latencies")


def point_at_kernel_map(page, row, col):
    """Move the mouse onto pixel (row, col) of the kernel editor's feature map (its window
    inspector) and wait until the inspector shows that pixel's window."""
    inspector = page.locator(".kernel-inspector")
    height, width = kernel_value(page, "list(editor.feature_map.shape)")
    box = inspector.locator("canvas.kernel-inspector-map").bounding_box()
    page.mouse.move(
        box["x"] + (col + 0.5) * box["width"] / width,
        box["y"] + (row + 0.5) * box["height"] / height,
    )
    page.wait_for_function(
        "([root, want]) => root.dataset.pointed === want",
        arg=[inspector.element_handle(), f"{row},{col}"],
    )


# --------------------------------------------------------------------------------------------------
# LeNetExplorer with the keyboard
# --------------------------------------------------------------------------------------------------

# A box drawn with the keys from the pen's start in the middle of the pad: move up and left with
# the pen up, Space puts it down, arrows draw, Space lifts it and sends the stroke.
KEY_STROKE = (
    ["Shift+ArrowUp"] * 2
    + ["Shift+ArrowLeft"] * 2
    + [" "]
    + ["ArrowRight"] * 16
    + ["ArrowDown"] * 18
    + ["ArrowLeft"] * 16
    + ["ArrowUp"] * 18
    + [" "]
)


def focused_class(page):
    """The class attribute of the page's focused element ("" when none)."""
    return page.evaluate("() => document.activeElement?.getAttribute('class') ?? ''")


def press_keys(page, keys):
    """Press each of ``keys`` (Playwright key names) on the focused element."""
    for key in keys:
        page.keyboard.press(key)


def draw_stroke_with_keys(page, keys=KEY_STROKE):
    """Press ``keys`` on the focused pad; wait until the view shows Python's answer to the stroke
    they send. Returns the stroke's number."""
    root = explorer_root(page)
    before = int(root.get_attribute("data-answered") or 0)
    press_keys(page, keys)
    page.wait_for_function(
        "([root, n]) => Number(root.dataset.answered) === n",
        arg=[root.element_handle(), before + 1],
    )
    return before + 1


def wait_for_announcement(page, text):
    """Wait until the explorer's live region says ``text``."""
    live = explorer_root(page).locator(".lx-live")
    page.wait_for_function(
        "([live, want]) => live.textContent === want", arg=[live.element_handle(), text]
    )


# --------------------------------------------------------------------------------------------------
# Accessibility: axe-core's WCAG 2.0/2.1 A and AA rules on a widget
# --------------------------------------------------------------------------------------------------

# axe-core's own build, as the package axe-playwright-python ships it (requirements.txt): read from
# disk, so nothing is downloaded when the tests run.
AXE_SCRIPT = importlib.resources.files("axe_playwright_python").joinpath("axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, locator):
    """Run axe-core's WCAG 2.0/2.1 A and AA rules on the element ``locator`` (a widget's output
    area); return its violations as {id, impact, help, targets} dicts ([] when none).

    axe-core is put into the page the first time (one script tag per page).
    """
    if not page.evaluate("() => typeof window.axe?.run === 'function'"):
        page.add_script_tag(content=AXE_SCRIPT.read_text(encoding="utf-8"))
    return evaluate(
        page,
        """
        const results = await window.axe.run(
            arg.element, {runOnly: {type: "tag", values: arg.tags}});
        return results.violations.map((rule) => ({
            id: rule.id,
            impact: rule.impact,
            help: rule.help,
            targets: rule.nodes.map((node) => node.target.flat().join(" ")),
        }));
    """,
        {"element": locator.element_handle(), "tags": AXE_TAGS},
    )


def assert_no_axe_violations(page, locator):
    """Fail, listing each violation (rule, impact, elements, what to do), when axe-core finds any
    WCAG 2.0/2.1 A or AA violation in ``locator``."""
    violations = axe_violations(page, locator)
    assert not violations, (
        f"axe-core finds {len(violations)} WCAG A/AA violation(s):\n"
        + "\n".join(
            f"- {v['id']} ({v['impact']}) on {', '.join(v['targets'])}: {v['help']}"
            for v in violations
        )
    )
