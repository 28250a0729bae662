"""End-to-end test of the lesson widgets in a real browser: JupyterLab driven by headless Chromium.

Each test starts from a temporary copy of ``notebooks/`` and ``figures/`` (the committed notebooks are never
touched), opens a notebook in JupyterLab, runs all its cells, changes one widget control the way a learner
would (type a value, press Enter) and asserts two things: the picture in the page changes, and the object in
the Python kernel holds the new value. Screenshots are saved to ``build/browser-artifacts/`` for people to look
at; they are never compared pixel by pixel (fonts differ between machines).

The browser is the system's Chromium (Debian package ``chromium``), started through Playwright's
``executable_path``; nothing downloads a browser. Without Chromium the tests skip, except in CI (``$CI`` set),
where they fail: CI installs Chromium and must run them.
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
# Chromium runs as root in CI, and this network is closed: no sandbox, no GPU, no background requests.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}   # a common projector resolution

SERVER_START_S = 90
RUN_ALL_S = 600        # the same limit the notebooks get under nbconvert
KERNEL_S = 60
UI_TIMEOUT_MS = 60_000


def _in_ci():
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def _require_chromium():
    """Skip where Chromium is missing, but fail in CI, which installs it and must run these tests."""
    if CHROMIUM.is_file():
        return
    reason = f"{CHROMIUM} not found: install Debian's chromium package to run the browser tests"
    if _in_ci():
        pytest.fail(f"{reason} ($CI is set, so this test must run)")
    pytest.skip(reason)


# ---------------------------------------------------------------------------------------------------
# JupyterLab server
# ---------------------------------------------------------------------------------------------------

class LabServer(NamedTuple):
    url: str
    token: str
    root_dir: Path


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_lab_settings(settings_dir):
    """Render every cell (windowing would leave off-screen cells out of the DOM) and fetch no news."""
    settings = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, values in settings.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _log_tail(log_path, lines=40):
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_serving(server, process, log_path):
    """Poll the server's status API until it answers; raise with the server log if it dies or hangs."""
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # loopback never goes via a proxy
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with code {process.returncode}:\n{_log_tail(log_path)}")
        try:
            with direct.open(f"{server.url}/api/status?token={server.token}", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"jupyter lab did not answer within {SERVER_START_S} s:\n{_log_tail(log_path)}")


@contextlib.contextmanager
def running_jupyter_lab(root_dir, state_dir, log_path):
    """Run ``jupyter lab`` on 127.0.0.1 (free port, random token) serving ``root_dir``; stop it on exit.

    ``state_dir`` holds its settings, workspaces and Jupyter/IPython folders, so the user's own
    configuration and kernel specs play no part. The server's output goes to ``log_path``.
    """
    _write_lab_settings(state_dir / "settings")
    server = LabServer(f"http://127.0.0.1:{_free_port()}", secrets.token_hex(24), root_dir)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(state_dir / "config"), JUPYTER_DATA_DIR=str(state_dir / "data"),
               JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"), IPYTHONDIR=str(state_dir / "ipython"))
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={server.url.rsplit(':', 1)[1]}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={server.token}", f"--ServerApp.root_dir={root_dir}",
               f"--LabApp.user_settings_dir={state_dir / 'settings'}",
               f"--LabApp.workspaces_dir={state_dir / 'workspaces'}", "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(server, process, log_path)
            yield server
        finally:
            process.terminate()      # the server shuts its kernels down on SIGTERM
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
        shutil.copytree(REPO_ROOT / folder, root_dir / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with running_jupyter_lab(root_dir, tmp_path_factory.mktemp("lab-state"), ARTIFACTS / "jupyter-lab.log") as server:
        yield server


# ---------------------------------------------------------------------------------------------------
# Browser
# ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    """Headless system Chromium, closed when the module's tests are done."""
    _require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                              timeout=UI_TIMEOUT_MS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, lab, request):
    """A fresh browser page; on teardown saves its console log and a screenshot of its last state."""
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
        with contextlib.suppress(PlaywrightError):   # a crashed page has no last state to save
            page.screenshot(path=ARTIFACTS / f"{name}-last-state.png")
        context.close()


def evaluate(page, body, arg=None, timeout_s=KERNEL_S):
    """Run the async JavaScript function body ``body`` (it sees ``arg``) in the page; fail after ``timeout_s``.

    ``page.evaluate`` itself waits forever on a promise that never settles, hence the race with a timer.
    """
    script = f"""async (arg) => {{
        const work = (async () => {{ {body} }})();
        const timer = new Promise((_, reject) => setTimeout(
            () => reject(new Error("timed out after {timeout_s} s")), {timeout_s * 1000}));
        return await Promise.race([work, timer]);
    }}"""
    return page.evaluate(script, arg)


def open_notebook(page, lab, path):
    """Open ``path`` (relative to the server root) in JupyterLab with a python3 kernel; wait until it is idle.

    The notebook panel is kept as ``window.e2ePanel`` for the later steps.
    """
    page.goto(f"{lab.url}/lab?token={lab.token}")
    page.wait_for_function("() => window.jupyterapp !== undefined")
    evaluate(page, """
        const app = window.jupyterapp;
        await app.restored;
        // Naming the kernel avoids the kernel chooser for notebooks saved without a kernelspec.
        const panel = await app.commands.execute(
            "docmanager:open", {path: arg, factory: "Notebook", kernel: {name: "python3"}});
        await panel.context.ready;
        await panel.sessionContext.ready;
        window.e2ePanel = panel;
    """, path)
    page.wait_for_function("""() => {
        const kernel = window.e2ePanel.sessionContext.session?.kernel;
        return kernel && kernel.connectionStatus === "connected" && kernel.status === "idle";
    }""")


def run_all_cells(page):
    """Run every cell of the open notebook; return True when all of them ran without an error."""
    return evaluate(page, """
        window.jupyterapp.shell.activateById(window.e2ePanel.id);
        return await window.jupyterapp.commands.execute("notebook:run-all-cells");
    """, timeout_s=RUN_ALL_S)


def kernel_value(page, expression):
    """Evaluate the Python ``expression`` in the notebook's kernel (outside any cell); return it via JSON."""
    code = f"import json as _json\nprint(_json.dumps({expression}))"
    reply = evaluate(page, """
        const future = window.e2ePanel.sessionContext.session.kernel.requestExecute(
            {code: arg, store_history: false});
        let printed = "";
        future.onIOPub = (message) => {
            const content = message.content;
            if (message.header.msg_type === "stream") printed += content.text;
            if (message.header.msg_type === "error") printed += `${content.ename}: ${content.evalue}`;
        };
        const reply = await future.done;
        return {status: reply.content.status, printed};
    """, code)
    assert reply["status"] == "ok", f"kernel could not evaluate {expression!r}: {reply['printed']}"
    return json.loads(reply["printed"])


def image_source(locator):
    """The ``src`` of an ``img`` once the picture has loaded (an ``ipywidgets.Image`` shows a blob URL)."""
    locator.wait_for(state="visible")
    locator.evaluate("async (img) => { if (!img.complete) await img.decode(); }")
    return locator.get_attribute("src")


def wait_for_new_image(page, locator, old_source):
    """Wait until the ``img`` shows a picture other than ``old_source``; return its new ``src``."""
    locator.element_handle().wait_for_element_state("visible")
    page.wait_for_function("([img, old]) => img.src !== old && img.complete && img.naturalWidth > 0",
                           arg=[locator.element_handle(), old_source])
    return locator.get_attribute("src")


def widget_output(page, css_class):
    """The cell output area that holds the widget with the given CSS class (what a screenshot should frame)."""
    return page.locator(".jp-OutputArea-output").filter(has=page.locator(f".{css_class}")).first


def screenshot(locator, name):
    locator.scroll_into_view_if_needed()
    locator.screenshot(path=ARTIFACTS / name)
