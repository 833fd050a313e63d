"""Test-wide settings: FAST mode and one thread per process (kernels inherit both)."""

import os

os.environ["GAN_COURSE_FAST"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config, items):
    """nbval's notebook cells belong to the slow tier (`./course test fast` leaves them out)."""
    import pytest

    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.add_marker(pytest.mark.slow)
