"""Shared fixtures: the registered ids, split by kind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # subprocesses too: see benchmarks/rl_throughput.py

import torch  # noqa: E402

torch.set_num_threads(1)  # the tests' MLPs are tiny; more threads only contend for the cores

import simreal  # noqa: E402,F401  (registers the tasks)
from simreal.envs.registry import TASKS, task_ids  # noqa: E402

ALL_IDS = task_ids()
NOMINAL_IDS = task_ids(include_real=False)
STATE_TASKS = [t for t in TASKS if t.kwargs.get("obs_type", "state") == "state"]
PIXEL_TASKS = [t for t in TASKS if t.kwargs.get("obs_type") == "pixels"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``simreal <args>`` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "simreal.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
