"""Test-wide settings: FAST mode and one thread per process (kernels inherit both)."""

import os

os.environ["GAN_COURSE_FAST"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
