"""The tooling around the course: the Jupyter server extension and the notebooks' layout."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gan_course.tooling import jupyter, layout

from .conftest import REPO

KERNEL = {"name": "python", "version": "3.99.1", "mimetype": "text/x-python"}


def notebook_model(language_info: dict) -> dict:
    return {"type": "notebook", "content": {"metadata": {"language_info": dict(language_info)}}}


def test_a_stored_notebook_is_read_with_the_kernels_language_info():
    model = jupyter.fill_in(notebook_model(jupyter.STORED), KERNEL)
    assert model["content"]["metadata"]["language_info"] == KERNEL
    other = {"name": "julia"}  # a notebook not stored the course's way stays as it is
    assert jupyter.fill_in(notebook_model(other), KERNEL)["content"]["metadata"] == {
        "language_info": other
    }
    listing = {"type": "directory", "content": [{"name": "a.ipynb"}]}
    assert jupyter.fill_in(dict(listing), KERNEL) == listing
    assert jupyter.fill_in({"type": "notebook", "content": None}, KERNEL)["content"] is None
    assert jupyter.fill_in(notebook_model(jupyter.STORED), None)["content"]["metadata"] == {
        "language_info": jupyter.STORED
    }


def test_a_save_puts_the_stored_language_info_back_only_where_it_was(tmp_path):
    stored, full = tmp_path / "stored.ipynb", tmp_path / "full.ipynb"
    stored.write_text(json.dumps({"metadata": {"language_info": jupyter.STORED}}))
    full.write_text(json.dumps({"metadata": {"language_info": KERNEL}}))

    def saved(path, language_info):
        model = notebook_model(language_info)
        jupyter.put_back(model, str(path), KERNEL)
        return model["content"]["metadata"]["language_info"]

    assert saved(stored, KERNEL) == jupyter.STORED  # what fill_in added goes back out
    assert saved(full, KERNEL) == KERNEL  # a notebook that had it keeps it
    assert saved(tmp_path / "new.ipynb", KERNEL) == KERNEL  # a new notebook too
    assert saved(stored, {"name": "python", "version": "2.7"}) == {
        "name": "python",
        "version": "2.7",
    }  # another kernel's: saved as JupyterLab sends it
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert saved(tmp_path / "broken.ipynb", KERNEL) == KERNEL


def test_enable_writes_the_config_that_jupyter_reads(tmp_path):
    from jupyter_server.extension.config import ExtensionConfigManager

    path = jupyter.enable(tmp_path)
    assert path == tmp_path / "etc/jupyter/jupyter_server_config.d/gan_course.json"
    manager = ExtensionConfigManager(read_config_path=[str(tmp_path / "etc/jupyter")])
    assert manager.enabled("gan_course.tooling.jupyter")


def _api(base: str, token: str, path: str, method: str = "GET", body: dict | None = None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read() or b"null")


def test_a_jupyter_server_opens_and_saves_a_lesson_without_changing_its_file(tmp_path):
    """A real Jupyter server with the extension (as `./course` enables it): a lesson read and
    written back unchanged through the contents API keeps its bytes."""
    lesson = layout.lessons()[0]
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(lesson, root / lesson.name)
    before = (root / lesson.name).read_bytes()
    token, runtime = secrets.token_hex(16), tmp_path / "runtime"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(tmp_path))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.jpserver_extensions={'gan_course.tooling.jupyter': True}", "--allow-root",
         "--ServerApp.open_browser=False"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        info, deadline = runtime / f"jpserver-{server.pid}.json", time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.2)
        if not info.exists():
            pytest.fail("jupyter_server did not start")
        time.sleep(0.5)
        base = json.loads(info.read_text())["url"]
        model = _api(base, token, f"api/contents/{lesson.name}")
        language_info = model["content"]["metadata"]["language_info"]
        assert language_info == jupyter.kernel_language_info(), "the kernel's, filled in"
        saved = {"type": "notebook", "format": "json", "content": model["content"]}
        _api(base, token, f"api/contents/{lesson.name}", "PUT", saved)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert (root / lesson.name).read_bytes() == before


def test_layout_names_pair_up():
    assert layout.topic("notebooks/05_training_loop.ipynb") == "05_training_loop"
    assert layout.topic("ex05_training_loop.ipynb") == "05_training_loop"
    assert layout.topic(Path("solutions/sol05_training_loop.ipynb")) == "05_training_loop"
    assert layout.number("sol10_conditional_gans.ipynb") == "10"
    assert layout.file_name(layout.EXERCISES, "05_training_loop") == "ex05_training_loop.ipynb"
    assert layout.path_in(layout.SOLUTIONS, "05_training_loop") == (
        REPO / "solutions" / "sol05_training_loop.ipynb"
    )
    for wrong in ("notes.ipynb", "exercise05_x.ipynb", "5_x.ipynb", "05_x.py"):
        with pytest.raises(ValueError, match="not named"):
            layout.topic(wrong)
    assert [layout.topic(p) for p in layout.exercises()] == [
        layout.topic(p) for p in layout.solutions()
    ]
