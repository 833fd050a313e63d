"""Opening a course notebook in JupyterLab changes nothing in it.

The course stores its notebooks with `language_info = {"name": "python"}` (`release.clean`).
JupyterLab writes the kernel's whole `language_info` (Python's version and six more fields) into
every notebook it opens: the notebook shows as modified at once, and autosave writes those fields
into the learner's clone, where `git status` and `git pull` then trip over changes nobody made.

This Jupyter server extension hands JupyterLab a course notebook with the kernel's
`language_info` already in place (so nothing changes when the kernel starts), and puts the
stored form back when the notebook is saved. `python -m gan_course.tooling.jupyter` enables it
for every Jupyter server of the environment (`./course` does this when it sets up; so does
Binder's `postBuild`): it writes `etc/jupyter/jupyter_server_config.d/gan_course.json` under
`sys.prefix`. (An editable install cannot ship that file: setuptools leaves data files out of
editable wheels; and `jupyter server extension enable` refuses an extension it has not seen.)
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from pathlib import Path

STORED = {"name": "python"}  # what the course's notebooks hold, in `release.clean`


def kernel_language_info() -> dict | None:
    """What an IPython kernel of this environment reports as its `language_info`."""
    try:
        from ipykernel.ipkernel import IPythonKernel
    except ImportError:  # no ipykernel here: leave notebooks as they are
        return None
    return json.loads(json.dumps(IPythonKernel.language_info))  # a plain copy


def fill_in(model: dict, language_info: dict | None) -> dict:
    """A notebook model as read: stored `language_info` replaced by the kernel's full one."""
    content = model.get("content") if model.get("type") == "notebook" else None
    if language_info and isinstance(content, dict):
        metadata = content.get("metadata", {})
        if metadata.get("language_info") == STORED:
            metadata["language_info"] = dict(language_info)
    return model


def put_back(model: dict, os_path: str, language_info: dict | None) -> None:
    """Before a save: the kernel's `language_info` goes back to the stored form, when the file
    on disk holds the stored form (a course notebook) and the kernel's is what is being saved."""
    content = model.get("content") if model.get("type") == "notebook" else None
    if not language_info or not isinstance(content, dict):
        return
    metadata = content.get("metadata", {})
    if metadata.get("language_info") != language_info or not os.path.isfile(os_path):
        return
    try:
        with open(os_path, encoding="utf-8") as stored:
            on_disk = json.load(stored).get("metadata", {}).get("language_info")
    except (OSError, ValueError, AttributeError):
        return  # not a readable notebook: save as JupyterLab asks
    if on_disk == STORED:
        metadata["language_info"] = dict(STORED)


EXTENSION = "gan_course.tooling.jupyter"  # this module (whose __name__ is "__main__" when run)
CONFIG_FILE = Path("etc", "jupyter", "jupyter_server_config.d", "gan_course.json")


def enable(prefix: str | os.PathLike = sys.prefix) -> Path:
    """Enable this extension for every Jupyter server run from the environment at `prefix`."""
    path = Path(prefix) / CONFIG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"ServerApp": {"jpserver_extensions": {EXTENSION: True}}}
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return path


def is_enabled() -> bool:
    """Does a Jupyter server started from this environment load this extension?"""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    return bool(ExtensionConfigManager(read_config_path=jupyter_config_path()).enabled(EXTENSION))


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": EXTENSION}]


def _load_jupyter_server_extension(serverapp) -> None:
    manager = serverapp.contents_manager
    language_info = kernel_language_info()
    read = manager.get

    if inspect.iscoroutinefunction(read):  # jupyter_server 2's default managers are async

        async def get(*args, **kwargs):
            return fill_in(await read(*args, **kwargs), language_info)

    else:

        def get(*args, **kwargs):
            return fill_in(read(*args, **kwargs), language_info)

    def pre_save(model, path, contents_manager, **_):
        os_path = os.path.join(contents_manager.root_dir, path.strip("/"))
        put_back(model, os_path, language_info)

    manager.get = get
    manager.register_pre_save_hook(pre_save)
    serverapp.log.info("gan_course: course notebooks open unchanged (language_info kept)")


if __name__ == "__main__":
    print(f"enabled gan_course.tooling.jupyter for Jupyter: {enable()}")
