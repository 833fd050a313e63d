"""The course in a real browser: JupyterLab runs lesson 05 and its exercise solution in Chromium.

nbval proves that the notebooks run; this proves that a learner *sees* them work: JupyterLab opens
them without a dialog, Run All finishes without an error, plots show as images, the progress bar
shows as a widget, and the checks show their ✔ lines. A full-page screenshot of each notebook goes
to test-artifacts/browser/ for a person to look at. A last test opens lesson 05 as a RISE slideshow.

JupyterLab is started the way the README says, `./course lab`, in a fresh copy of the repository
(it autosaves executed notebooks, and the repository's notebooks must stay without outputs). The
first test walks the learner's path: lesson 00, a link to exercise 02, a wrong answer typed in and
its hint, the right answer and its ✔. Chromium is Debian's, driven by
Playwright (never `playwright install`); `./course test` installs it when it is missing, and
without it these tests skip. Alone: `./course test -k browser`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow  # left out by `./course test fast`

ARTIFACTS = REPO / "test-artifacts" / "browser"
NOTEBOOKS = ["notebooks/05_training_loop.ipynb", "solutions/sol05_training_loop.ipynb"]
SLIDESHOW = "notebooks/05_training_loop.ipynb"

# Bounded waits, in seconds, generous because the suite runs two notebooks at a time on two cores.
SERVER_START_S = 90  # `jupyter lab` answers /api/status
KERNEL_READY_S = 120  # the page has loaded and the notebook's kernel is idle
RUN_ALL_S = 300  # Run All Cells has finished (FAST mode: about 10 s a notebook when alone)
RENDER_S = 60  # images decoded, widgets drawn
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 1400, "height": 900}

# stderr a learner may see without anything being wrong: warnings, and tqdm's text progress bars
HARMLESS_STDERR = re.compile(r"Warning\b|\d+%\|")


def _chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )
    if found is None:
        why = os.environ.get("GAN_COURSE_NO_CHROMIUM") or "Chromium is not installed"
        pytest.skip(
            f"browser test skipped: {why}. `./course test` installs Debian's chromium when it "
            "can (as root or with passwordless sudo); by hand: sudo apt-get install chromium"
        )
    return found


# --- the server ------------------------------------------------------------------------------


def copy_checkout(repo: Path, dest: Path) -> None:
    """What a fresh clone holds: the files git tracks, and the new ones it does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = repo / name
        if source.is_file():  # a file deleted but not yet committed is listed and absent
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


class LabServer:
    """`./course lab`, the README's first command, on a fresh copy of the repository.

    The copy is what a clone holds, with the set-up `./course` made for this suite (its .venv)
    linked in, so the script finds it done. JupyterLab's own folders (runtime, settings,
    workspaces) are temporary, so the tester's are never read or written; the server listens on
    loopback with a random token; the browser is never opened by it, but by the test, from the
    page the server writes for the browser to open.
    """

    def __init__(self, workdir: Path) -> None:
        if not (Path(sys.prefix) / ".gan-course-installed").is_file():
            pytest.skip("the browser test follows the README: run it with ./course test")
        self.root = workdir / "gan-course"  # the learner's clone
        copy_checkout(REPO, self.root)
        (self.root / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
        self.runtime = workdir / "runtime"
        self.log_path = workdir / "server.log"
        self.token = secrets.token_hex(24)
        env = dict(os.environ)
        env.update(
            GAN_COURSE_FAST="1",
            # Folders of its own: not the tester's ~/.jupyter, kernelspecs, workspaces or profile
            JUPYTER_RUNTIME_DIR=str(self.runtime),
            JUPYTER_CONFIG_DIR=str(workdir / "config"),
            JUPYTER_DATA_DIR=str(workdir / "data"),
            JUPYTERLAB_SETTINGS_DIR=str(workdir / "user-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"),
            IPYTHONDIR=str(workdir / "ipython"),
        )
        # The suite sets MPLBACKEND=Agg for nbval and one thread per process; a learner's
        # kernel has neither (./course lab sets OMP_NUM_THREADS=1 itself).
        for name in ("MPLBACKEND", "OMP_NUM_THREADS"):
            env.pop(name, None)
        command = [
            str(self.root / "course"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port=0",  # the OS picks a free port; the server info file names it
            f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
        ]
        self.log = open(self.log_path, "w")  # closed in stop()
        self.process = subprocess.Popen(
            command, env=env, cwd=workdir, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.url = ""  # known once the server answers: wait_until_up()

    def landing_page(self) -> str:
        """The page the server asks the learner's browser to open (`./course` execs jupyter, so
        the server's pid is the script's)."""
        return (self.runtime / f"jpserver-file-to-run-{self.process.pid}-open.html").as_uri()

    def _log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def wait_until_up(self) -> None:
        info_file = self.runtime / f"jpserver-{self.process.pid}.json"
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"jupyter lab exited ({self.process.returncode}):\n{self._log_tail()}")
            if info_file.exists():
                try:
                    url = json.loads(info_file.read_text())["url"]
                    self.api("GET", "api/status", base=url)
                    self.url = url
                    return
                except (ValueError, KeyError, OSError):
                    pass  # the file is being written, or the server is not answering yet
            time.sleep(0.25)
        pytest.fail(f"jupyter lab did not answer within {SERVER_START_S} s:\n{self._log_tail()}")

    def api(self, method: str, path: str, base: str | None = None, timeout: float = 10):
        request = urllib.request.Request(
            (base or self.url) + path,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def stop(self) -> None:
        """Shut the kernels and the server down; kill whatever is left. Never raises."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)  # the kernels
        except psutil.Error:
            children = []
        if self.process.poll() is None:
            try:
                for kernel in self.api("GET", "api/kernels"):
                    self.api("DELETE", f"api/kernels/{kernel['id']}", timeout=20)
                self.api("POST", "api/shutdown")
            except (OSError, ValueError):
                pass  # not answering: the signals below will do
            for stop in (None, self.process.terminate, self.process.kill):
                if stop is not None:
                    stop()
                try:
                    self.process.wait(timeout=15)
                    break
                except subprocess.TimeoutExpired:
                    continue
        _gone, alive = psutil.wait_procs(children, timeout=10)
        for process in alive:
            try:
                process.kill()
            except psutil.Error:
                pass
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


class BrowserPage:
    """A fresh browser context and page that records uncaught errors and console errors."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: (
                self.console_errors.append(message.text) if message.type == "error" else None
            ),
        )


@pytest.fixture
def page(browser):
    opened = BrowserPage(browser)
    try:
        yield opened
    finally:
        opened.context.close()


def _report(what: str, problems: list[str], page: BrowserPage, shot: Path, lab) -> str:
    """The failure message: every problem, then where to look further."""
    console = "".join(f"\n    {line[:200]}" for line in page.console_errors[:10])
    return (
        f"{what}:\n- "
        + "\n- ".join(problems)
        + f"\nscreenshot: {shot}\nserver log: {lab.log_path}"
        + (f"\nbrowser console errors:{console}" if console else "")
    )


def _screenshot_path(kind: str, path: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{kind}-{path.replace('/', '-').removesuffix('.ipynb')}.png"


# --- JupyterLab, seen from the page ---------------------------------------------------------

# Everything below reads JupyterLab's own objects through window.jupyterapp (exposed by
# --LabApp.expose_app_in_browser) and the DOM it draws. Cells are found by their index in the
# notebook; JupyterLab's default windowing ("contentVisibility") keeps all of them in the DOM.

JS_STATE = """(path) => {
    const dialog = document.querySelector('.jp-Dialog');
    if (dialog) return {dialog: dialog.innerText};
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    if (!panel || !panel.context || panel.context.path !== path) return null;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (!panel.context.isReady || !kernel || kernel.status !== 'idle') return null;
    return {ready: true};
}"""

JS_RUN_ALL = """() => {
    window.__courseRunAll = undefined;
    window.jupyterapp.commands.execute('notebook:run-all-cells').then(
        (ok) => { window.__courseRunAll = {ok: ok}; },
        (error) => { window.__courseRunAll = {ok: false, error: String(error)}; });
}"""

JS_RUN_ALL_DONE = """() => {
    const dialog = document.querySelector('.jp-Dialog');
    if (dialog) return {dialog: dialog.innerText};
    return window.__courseRunAll || null;
}"""

JS_RENDERED = """(mathCells) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (!kernel || kernel.status !== 'idle') return false;
    const images = [...panel.node.querySelectorAll('.jp-OutputArea-output img')];
    if (!images.every((img) => img.complete)) return false;
    let widgetOutputs = 0;
    for (const cell of panel.content.widgets) {
        if (cell.model.type !== 'code') continue;
        for (const output of cell.model.outputs.toJSON())
            if ((output.data || {})['application/vnd.jupyter.widget-view+json']) widgetOutputs++;
    }
    const views = panel.node.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets');
    if (views.length < widgetOutputs) return false;
    const cells = panel.content.widgets;
    return mathCells.every((i) => cells[i].node.querySelector('mjx-container, mjx-merror'));
}"""

JS_CELLS = """() => {
    // innerText, not textContent: only what is drawn counts (the window shows every cell by now)
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.widgets.map((cell, index) => {
        const model = cell.model.toJSON();
        const info = {index: index, type: model.cell_type, inDom: cell.node.isConnected,
                      source: cell.model.sharedModel.getSource(),
                      math: cell.node.querySelectorAll('mjx-container').length,
                      mathErrors: [...cell.node.querySelectorAll('mjx-merror')].map(
                          (e) => e.getAttribute('data-mjx-error') + ' in ' + e.textContent),
                      // MathJax draws an undefined command's name in red
                      undefinedTex: cell.node.querySelectorAll(
                          'mjx-mtext[style*="color: red"]').length,
                      rawTex: ''};
        const markdown = cell.node.querySelector('.jp-RenderedMarkdown');
        if (markdown) {  // dollars left in the prose: LaTeX that MathJax did not pick up
            const prose = markdown.cloneNode(true);
            prose.querySelectorAll('code, pre, mjx-container').forEach((e) => e.remove());
            info.rawTex = (prose.textContent.match(/\\$[^$]+\\$/) || [''])[0].slice(0, 100);
        }
        if (model.cell_type !== 'code') return info;
        info.count = model.execution_count;
        info.outputs = model.outputs.map((o) => ({
            type: o.output_type, name: o.name || null, text: String(o.text || '').slice(0, 2000),
            ename: o.ename || null, evalue: String(o.evalue || '').slice(0, 500),
            mimes: Object.keys(o.data || {})}));
        const shown = [...cell.node.querySelectorAll('.jp-OutputArea-output')];
        info.shownText = shown.map((e) => e.innerText).join('\\n');
        info.images = [...cell.node.querySelectorAll('.jp-OutputArea-output img')].filter(
            (img) => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0
        ).length;
        info.widgets = cell.node.querySelectorAll(
            '.jp-OutputArea-output > .jupyter-widgets').length;
        info.progressBars = cell.node.querySelectorAll(
            '.jp-OutputArea-output .widget-hprogress .progress-bar').length;
        info.controls = cell.node.querySelectorAll(  // sliders and buttons a learner can use
            '.jp-OutputArea-output .widget-slider, .jp-OutputArea-output button').length;
        return info;
    });
}"""

# The picture of the first output that has both a slider and an image (its src changes with the
# picture), for moving the slider and seeing the kernel answer.
JS_SLIDER_IMAGE = """() => {
    const out = [...document.querySelectorAll('.jp-OutputArea-output')].find(
        (e) => e.querySelector('.widget-slider .noUi-handle') && e.querySelector('img'));
    return out ? out.querySelector('img').src : null;
}"""

JS_NOTEBOOK_HEIGHT = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const scroller = panel.node.querySelector('.jp-WindowedPanel-outer');
    const cells = panel.content.widgets;
    const last = cells[cells.length - 1].node.getBoundingClientRect();
    const first = cells[0].node.getBoundingClientRect();
    scroller.scrollTop = 0;
    return {content: Math.ceil(last.bottom - first.top), visible: scroller.clientHeight};
}"""

JS_SLIDES = """() => {
    if (!document.querySelector('.reveal.ready .slides > section')) return null;
    const present = document.querySelector('.reveal .slides section.present');
    return {
        slides: document.querySelectorAll('.reveal .slides > section').length,
        subslides: document.querySelectorAll('.reveal .slides > section > section').length,
        present: present ? present.innerText : '',
        math: document.querySelectorAll('.reveal mjx-container').length,
        mathErrors: document.querySelectorAll('.reveal mjx-merror').length,
    };
}"""


JS_NOTICES = """() => [...document.querySelectorAll('.jp-Dialog, .Toastify__toast')]
    .map((e) => e.innerText.trim()).filter((text) => text)"""


def _cells_with_maths(path: Path) -> list[int]:
    """The markdown cells with LaTeX between dollars, not counting dollars inside code."""
    found = []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        prose = re.sub(r"```.*?```|`[^`]*`", "", cell.source, flags=re.DOTALL)
        if cell.cell_type == "markdown" and re.search(r"\$[^$]+\$", prose):
            found.append(index)
    return found


def _wait(page: BrowserPage, script: str, timeout_s: float, arg=None):
    """Poll `script` until it returns something truthy, and return that; None on timeout."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        handle = page.page.wait_for_function(script, arg=arg, timeout=timeout_s * 1000, polling=250)
    except PlaywrightTimeout:
        return None
    return handle.json_value()


def _show_whole_notebook(page: BrowserPage, math_cells: list[int]) -> None:
    """Grow the window to the notebook's height, so that every cell is drawn, and shot, at once.

    (JupyterLab scrolls inside the notebook panel: a plain full-page screenshot would hold one
    window's worth.) Cells not drawn yet have estimated heights, so measure until it holds.
    """
    height = VIEWPORT["height"]
    for _ in range(4):
        sizes = page.page.evaluate(JS_NOTEBOOK_HEIGHT)
        wanted = height + max(0, sizes["content"] - sizes["visible"] + 40)
        if wanted == height:
            break
        height = wanted
        page.page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.page.wait_for_timeout(300)
    page.page.evaluate(JS_NOTEBOOK_HEIGHT)  # scrolled to the top
    _wait(page, JS_RENDERED, RENDER_S, arg=math_cells)


def _move_a_slider(page: BrowserPage):
    """Press → on the first slider that drives a picture; True when the picture changed, None
    when the notebook has no such slider."""
    before = page.page.evaluate(JS_SLIDER_IMAGE)
    if before is None:
        return None
    handle = page.page.locator(".jp-OutputArea-output .widget-slider .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.page.keyboard.press("ArrowRight")
    changed = f"(before) => ({JS_SLIDER_IMAGE})() !== before"
    return _wait(page, changed, RENDER_S, arg=before) is not None


def _problems_in(
    path: str, cells: list[dict], math_cells: list[int], notices: list[str], page: BrowserPage
) -> list[str]:
    """What a learner would see go wrong in the executed notebook, one line each."""
    problems = []
    code = [c for c in cells if c["type"] == "code"]

    def where(cell):
        first_line = cell["source"].strip().splitlines()[0] if cell["source"].strip() else ""
        return f"cell {cell['index']} ({first_line[:60]!r})"

    for cell in code:
        if not cell["inDom"]:
            problems.append(f"{where(cell)} is not in the page (JupyterLab windowing?)")
        if cell["count"] is None:
            problems.append(f"{where(cell)} has no execution count: it did not run")
        for output in cell["outputs"]:
            if output["type"] == "error":
                problems.append(
                    f"{where(cell)} shows an error: {output['ename']}: {output['evalue']}"
                )
            elif output["name"] == "stderr" and not HARMLESS_STDERR.search(output["text"]):
                problems.append(f"{where(cell)} writes to stderr: {output['text'][:300]!r}")
        pngs = sum("image/png" in output["mimes"] for output in cell["outputs"])
        if pngs > cell["images"]:
            problems.append(
                f"{where(cell)} has {pngs} PNG outputs but shows {cell['images']} images"
            )
        if "plt.show()" in cell["source"] and cell["images"] == 0:
            problems.append(f"{where(cell)} calls plt.show() but shows no image")
        views = sum(
            "application/vnd.jupyter.widget-view+json" in output["mimes"]
            for output in cell["outputs"]
        )
        if views > cell["widgets"]:
            problems.append(
                f"{where(cell)} has {views} widget outputs but shows {cell['widgets']} widgets"
            )
        for broken in ("Error displaying widget", "Loading widget..."):
            if broken in cell["shownText"]:
                problems.append(f"{where(cell)} shows {broken!r}: the widget manager failed")
        if "ProgressBar()" in cell["source"] and cell["progressBars"] == 0:
            problems.append(f"{where(cell)} trains with ProgressBar() but shows no progress widget")
        if re.match(r"\s*check_\w+\(", cell["source"]):
            shown = [line.strip() for line in cell["shownText"].splitlines()]
            if not any(line.startswith("✔") for line in shown):
                problems.append(
                    f"{where(cell)} shows no line starting with ✔; it shows: "
                    f"{cell['shownText'][:300]!r}"
                )

    # The maths (JupyterLab's MathJax; jupyterlab-rise brings a second, older MathJax plugin)
    for index in math_cells:
        if not cells[index]["math"]:
            problems.append(f"markdown cell {index} has LaTeX, but shows no typeset maths")
    for cell in cells:
        for error in cell["mathErrors"]:
            problems.append(f"cell {cell['index']}: LaTeX error: {error}")
        if cell["undefinedTex"]:
            problems.append(f"cell {cell['index']} uses an undefined LaTeX command (drawn in red)")
        if cell["rawTex"]:
            problems.append(f"cell {cell['index']} shows LaTeX as text: {cell['rawTex']!r}")

    # The notebook as a whole must show what this test is for: pictures, a widget, the checks.
    if not any(c["images"] for c in code):
        problems.append("no plot is shown as an image anywhere")
    if not any(c["progressBars"] for c in code):
        problems.append("no progress-bar widget is shown anywhere")
    if path.startswith("notebooks/") and not any(c["controls"] for c in code):
        problems.append("no widget with a slider or a button is shown anywhere in the lesson")
    if path.startswith("solutions/") and not any(
        re.match(r"\s*check_\w+\(", c["source"]) for c in code
    ):
        problems.append("the solution notebook has no check cells")
    problems += [f"JupyterLab shows a dialog or notification: {text!r}" for text in notices]
    problems += [f"uncaught error in the page: {error}" for error in page.page_errors]
    return problems


JS_DIRTY = "() => window.jupyterapp.shell.currentWidget.context.model.dirty"

JS_RUN_CELL = """async (index) => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.activeCellIndex = index;
    panel.content.mode = 'command';
    await window.jupyterapp.commands.execute('notebook:run-cell');
}"""

JS_CELL_DONE = """(index) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const cell = panel.content.widgets[index];
    if (!kernel || kernel.status !== 'idle' || cell.model.executionCount === null) return null;
    return {text: [...cell.node.querySelectorAll('.jp-OutputArea-output')]
                .map((e) => e.innerText).join('\\n'),
            passBox: cell.node.querySelectorAll('.jp-OutputArea-output pre.gan-course-pass').length,
            errors: cell.model.outputs.toJSON().filter((o) => o.output_type === 'error')
                .map((o) => o.ename)};
}"""


def _run_cell(page: BrowserPage, index: int) -> dict:
    """Run cell `index` of the open notebook, as Shift+Enter would; what it shows afterwards."""
    page.page.evaluate(
        "(index) => { const c = window.jupyterapp.shell.currentWidget.content.widgets[index];"
        " c.model.executionCount = null; }",
        index,
    )
    page.page.evaluate(JS_RUN_CELL, index)
    shown = _wait(page, JS_CELL_DONE, RUN_ALL_S, arg=index)
    assert shown is not None, f"cell {index} did not finish within {RUN_ALL_S} s"
    return shown


JS_PLAYGROUND = """() => {
    const canvas = [...document.querySelectorAll('.jp-OutputArea-output canvas')].find(
        (c) => c.width >= 200 && c.closest('.jupyter-widgets'));
    if (!canvas) return null;
    const out = canvas.closest('.jp-OutputArea-output');
    const img = out.querySelector('img');
    const status = [...out.querySelectorAll('.widget-html')].map((e) => e.innerText).join(' ');
    return {img: img ? img.src : '', status: status};
}"""


def _drive_the_playground(page: BrowserPage) -> list[str]:
    """Paint a stroke on the playground's canvas, press "step D", and see D's picture change;
    the problems found, if any (none when the notebook has no playground)."""
    before = page.page.evaluate(JS_PLAYGROUND)
    if before is None:
        return []
    output = page.page.locator(".jp-OutputArea-output").filter(has=page.page.locator("canvas"))
    canvas = output.locator("canvas").last  # ipycanvas draws its layers as canvases; the top one
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.page.mouse.down()
    for i in range(1, 11):  # a stroke across the canvas
        page.page.mouse.move(
            box["x"] + box["width"] * (0.3 + 0.04 * i), box["y"] + box["height"] * 0.5
        )
    page.page.mouse.up()
    painted = f"() => ({JS_PLAYGROUND})().status.match(/^(\\d+) painted/)?.[1] > 0"
    if _wait(page, painted, RENDER_S) is None:
        return [f"painting on the playground's canvas painted nothing: {before['status']!r}"]
    picture = page.page.evaluate(JS_PLAYGROUND)["img"]
    output.get_by_role("button", name="step D").click()
    changed = (
        f"(src) => ({JS_PLAYGROUND})().img !== src"
        f" && ({JS_PLAYGROUND})().status.includes('1 D steps')"
    )
    if _wait(page, changed, RENDER_S, arg=picture) is None:
        return [
            f"'step D' did not redraw D's verdict: {page.page.evaluate(JS_PLAYGROUND)['status']!r}"
        ]
    return []


def _panel_id(page: BrowserPage) -> str:
    """The DOM id of the notebook in front (the others stay in the page, hidden)."""
    return page.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")


def _type_into_cell(page: BrowserPage, index: int, text: str) -> None:
    """Click into cell `index`, select all of it and type `text` in its place."""
    editor = page.page.locator(f"[id='{_panel_id(page)}'] .jp-Cell").nth(index)
    editor = editor.locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.page.keyboard.press("Control+A")
    page.page.keyboard.insert_text(text)  # as typed, without the editor's auto-indent
    page.page.keyboard.press("Escape")


# --- the tests -------------------------------------------------------------------------------

FIRST_EXERCISE = "exercises/ex02_generator.ipynb"
WRONG_ANSWER = "def latent_noise(n, latent_dim):\n    return torch.rand(n, latent_dim)\n"
RIGHT_ANSWER = "def latent_noise(n, latent_dim):\n    return torch.randn(n, latent_dim)\n"


def test_readme_path_from_lesson_00_to_a_first_green_check(page, lab):
    """`./course lab` opens lesson 00; its link opens exercise 02; the first task, answered
    wrongly and then rightly by typing in the cell, gets its hint and then its ✔."""
    shot = _screenshot_path("path", FIRST_EXERCISE)
    cells = nbformat.read(lab.root / FIRST_EXERCISE, as_version=4).cells
    answer = next(i for i, c in enumerate(cells) if "# YOUR CODE HERE" in c.source)
    check = answer + 1
    assert cells[check].source.startswith("check_latent_noise("), "exercise 02 changed its order"
    problems = []
    try:
        page.page.goto(lab.landing_page(), timeout=KERNEL_READY_S * 1000)
        if not _wait(page, JS_STATE, KERNEL_READY_S, arg="notebooks/00_welcome.ipynb"):
            pytest.fail(f"the page ./course lab opens did not show lesson 00: {page.page.url}")
        page.page.wait_for_timeout(2000)  # the kernel's language_info has arrived by now
        if page.page.evaluate(JS_DIRTY):
            problems.append("lesson 00 shows as modified though nothing was done to it")

        # JupyterLab points the link at the file's download URL and opens it itself when clicked
        link = page.page.locator(f'.jp-RenderedMarkdown a[href*="/files/{FIRST_EXERCISE}?"]').first
        link.scroll_into_view_if_needed()
        link.click()
        if not _wait(page, JS_STATE, KERNEL_READY_S, arg=FIRST_EXERCISE):
            pytest.fail(f"lesson 00's link did not open {FIRST_EXERCISE} with an idle kernel")

        setup = _run_cell(page, 1)
        if setup["errors"]:
            problems.append(f"the setup cell failed: {setup}")
        early = _run_cell(page, check)  # the check, before its answer cell ever ran
        if "not defined yet" not in early["text"] or "Traceback" in early["text"]:
            problems.append(f"a check run before its answer shows: {early['text'][:300]!r}")

        _type_into_cell(page, answer, WRONG_ANSWER)
        _run_cell(page, answer)
        wrong = _run_cell(page, check)
        if "✘" not in wrong["text"] or "torch.rand is uniform" not in wrong["text"]:
            problems.append(f"a uniform answer gets no hint about it: {wrong['text'][:300]!r}")

        page.page.locator(f"[id='{_panel_id(page)}'] .jp-Cell").nth(
            check
        ).scroll_into_view_if_needed()
        page.page.screenshot(path=str(shot).replace(".png", "-wrong.png"))
        _type_into_cell(page, answer, RIGHT_ANSWER)
        _run_cell(page, answer)
        right = _run_cell(page, check)
        if not right["text"].strip().startswith("✔ latent_noise") or not right["passBox"]:
            problems.append(f"the right answer shows no green ✔ box: {right}")
        problems += [f"uncaught error in the page: {error}" for error in page.page_errors]
    finally:
        with contextlib.suppress(Exception):  # a page that broke is reported, not this
            cell = page.page.locator(f"[id='{_panel_id(page)}'] .jp-Cell").nth(check)
            cell.scroll_into_view_if_needed(timeout=5000)
        page.page.screenshot(path=str(shot))
        print(f"screenshots of {FIRST_EXERCISE} after a wrong and a right answer: {shot}")
    assert not problems, _report("the README's path to a first ✔", problems, page, shot, lab)


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_runs_all_cells_in_jupyterlab(page, lab, path):
    shot = _screenshot_path("lab", path)
    math_cells = _cells_with_maths(lab.root / path)
    url = f"{lab.url}lab/tree/{path}?reset&token={lab.token}"  # ?reset: no tabs from before
    page.page.goto(url, timeout=KERNEL_READY_S * 1000)
    try:
        state = _wait(page, JS_STATE, KERNEL_READY_S, arg=path)
        if not state or state.get("dialog"):
            page.page.screenshot(path=str(shot))
            why = f"a dialog: {state['dialog']!r}" if state else f"nothing, for {KERNEL_READY_S} s"
            problem = f"waited for the notebook to open with an idle kernel, and got {why}"
            pytest.fail(_report(f"{path} in JupyterLab", [problem], page, shot, lab))

        page.page.evaluate(JS_RUN_ALL)
        done = _wait(page, JS_RUN_ALL_DONE, RUN_ALL_S)
        _show_whole_notebook(page, math_cells)
        slid = _move_a_slider(page)
        print(f"{path}: a slider moved and its picture changed: {slid}")
        played = _drive_the_playground(page)
        cells = page.page.evaluate(JS_CELLS)
        notices = page.page.evaluate(JS_NOTICES)
        page.page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of {path} after Run All: {shot}")
    finally:
        # The kernel holds PyTorch in memory: stop it now rather than when the server stops.
        with contextlib.suppress(Exception):  # a page that broke is reported, not this
            page.page.evaluate(
                "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " return w && w.sessionContext ? w.sessionContext.shutdown() : null; }"
            )

    problems = []
    if done is None:
        problems.append(f"Run All Cells did not finish within {RUN_ALL_S} s")
    elif done.get("dialog"):
        problems.append(f"Run All Cells was stopped by a dialog: {done['dialog']!r}")
    elif not done.get("ok"):
        problems.append(f"Run All Cells reported failure {done.get('error') or ''}".rstrip())
    problems += _problems_in(path, cells, math_cells, notices, page)
    if slid is False:
        problems.append("moving a widget's slider did not change its picture (is the kernel deaf?)")
    problems += played
    assert not problems, _report(f"{path} in JupyterLab", problems, page, shot, lab)


def _expected_slides(path: Path) -> tuple[int, int]:
    """How many slides and subslides RISE makes of `path` (its rules in `markupSlides`).

    Cells join the current (sub)slide unless their slideshow metadata says "slide" or
    "subslide"; "skip" and "notes" cells are not content, and a (sub)slide cell before any
    content opens the first slide instead of a second one. Without any slide metadata the
    notebook is one long slide.
    """
    slides, subslides, content = 1, 1, False
    for cell in nbformat.read(path, as_version=4).cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if content and kind in ("slide", "subslide"):
            slides += kind == "slide"
            subslides += 1
        elif kind not in ("skip", "notes"):
            content = True
    return slides, subslides


def test_lesson_shows_as_a_rise_slideshow(page, lab):
    shot = _screenshot_path("slides", SLIDESHOW)
    title = nbformat.read(lab.root / SLIDESHOW, as_version=4).cells[0].source.splitlines()[0]
    title = title.lstrip("# ").strip()
    page.page.goto(f"{lab.url}rise/{SLIDESHOW}?token={lab.token}", timeout=KERNEL_READY_S * 1000)
    try:
        # reveal.js marks .reveal "ready" once it has laid the slides out
        shown = _wait(page, JS_SLIDES, KERNEL_READY_S)
        page.page.wait_for_timeout(1000)  # RISE syncs reveal.js once more after 250 ms
    finally:
        page.page.screenshot(path=str(shot))
        print(f"screenshot of {SLIDESHOW} as a slideshow: {shot}")
    if shown is None:
        pytest.fail(
            _report(
                f"{SLIDESHOW} as a RISE slideshow",
                [f"no reveal.js slides within {KERNEL_READY_S} s"],
                page,
                shot,
                lab,
            )
        )

    slides, subslides = _expected_slides(lab.root / SLIDESHOW)
    problems = []
    if (shown["slides"], shown["subslides"]) != (slides, subslides):
        problems.append(
            f"{shown['slides']} slides and {shown['subslides']} subslides; the slide metadata "
            f"asks for {slides} and {subslides}"
        )
    if title not in shown["present"]:
        problems.append(f"the first slide does not show the title {title!r}")
    if shown["math"] == 0 or shown["mathErrors"]:
        problems.append(f"maths: {shown['math']} formulas typeset, {shown['mathErrors']} errors")
    problems += [f"uncaught error in the page: {error}" for error in page.page_errors]
    assert not problems, _report(f"{SLIDESHOW} as a RISE slideshow", problems, page, shot, lab)
