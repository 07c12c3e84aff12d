"""Shared fixtures: the registered ids, split by kind."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from subprocess import CompletedProcess

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


def run_cli(*args: str, cwd: Path | None = None, isolated: bool = False) -> CompletedProcess:
    """Run ``simreal <args>`` and return its exit status, stdout and stderr.

    By default in this process (``simreal.cli.main`` in ``cwd``, its output captured and
    its warnings printed to its stderr as a user's terminal shows them), which spares
    the suite a Python start and the heavy imports per call; ``isolated=True`` runs
    ``python -m simreal.cli`` in a subprocess, for what only a process shows (its
    environment, signals). An exception escaping ``main`` is not caught: it fails the
    test, as a traceback would on a user's terminal.
    """
    if isolated:
        return subprocess.run([sys.executable, "-m", "simreal.cli", *args], capture_output=True,
                              text=True, cwd=cwd, timeout=300)  # fmt: skip
    from simreal.cli import main

    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001, ANN202
        err.write(warnings.formatwarning(message, category, filename, lineno, line))

    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():  # fmt: skip
            warnings.simplefilter("default")
            warnings.showwarning = show
            try:
                code = main(list(args))
            except SystemExit as stop:  # argparse's parser.error and --help
                code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    finally:
        os.chdir(before)
    return CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def interrupt_after_checkpoint(
    process: subprocess.Popen, checkpoints: Path, steps: int, timeout: float = 240
) -> None:
    """Send Ctrl-C (SIGINT) once a checkpoint of at least ``steps`` env steps exists.

    A run keeps only its latest checkpoint, so this waits for whichever one is there to
    reach ``steps`` rather than for a name that a later checkpoint may already have replaced.
    """
    from simreal.learning.checkpoint import latest_checkpoint

    def checkpointed() -> int:
        latest = latest_checkpoint(checkpoints)
        return int(latest.name.split("-")[1]) if latest is not None else 0

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None and checkpointed() < steps:
        time.sleep(0.01)
    if process.poll() is not None or checkpointed() < steps:
        process.kill()
        _, stderr = process.communicate()
        raise AssertionError(f"no checkpoint of {steps} steps to interrupt after:\n{stderr}")
    process.send_signal(signal.SIGINT)
