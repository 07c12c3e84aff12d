"""Shared fixtures: the registered ids, split by kind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

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
