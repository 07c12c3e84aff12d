"""The SB3 callbacks of ``simreal train``: checkpoints, Ctrl-C, the learning curve, progress.

Checkpoints are taken at the start of a rollout, where the model has trained on
every step it counts; that is also the state saved when training is interrupted.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from simreal.learning.checkpoint import save_checkpoint


class SigintFlag:
    """While active, the first Ctrl-C (SIGINT) sets :attr:`raised` instead of raising.

    A second Ctrl-C raises ``KeyboardInterrupt`` as usual. Outside the main thread
    (where Python cannot install handlers) it does nothing.
    """

    def __init__(self) -> None:
        self.raised = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.raised = True
        signal.signal(signal.SIGINT, self._previous)

    def __enter__(self) -> SigintFlag:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class Checkpointing(BaseCallback):
    """Checkpoint every ``every`` env steps, record the curve, stop at Ctrl-C.

    Args:
        folder: The run's ``checkpoints/`` folder.
        env: The ``VecNormalize`` env whose statistics are saved with the model.
        every: Env steps between checkpoints.
        curve: The learning curve, ``(env steps, mean return)``, appended per rollout.
        flag: Set when the user pressed Ctrl-C.
        start: The env steps the model starts from (those of the checkpoint it resumed).
        record_curve: Append the mean training return after every rollout (off for SAC
            fine-tuning, which records every episode itself).
        extra: Called at every checkpoint for more JSON state to store with it.
        tensors: Called at every checkpoint for more tensors to store with it.
    """

    def __init__(
        self,
        folder: Path,
        env: Any,  # noqa: ANN401
        every: int,
        curve: list[tuple[int, float]],
        flag: SigintFlag,
        start: int,
        record_curve: bool = True,
        extra: Callable[[], dict] | None = None,
        tensors: Callable[[], dict] | None = None,
    ) -> None:
        super().__init__()
        self.folder, self.env, self.every = folder, env, every
        self.record_curve, self.extra, self.tensors = record_curve, extra, tensors
        self.curve, self.flag = curve, flag
        self.trained = start  # env steps the model has trained on, as of the rollout's start
        self.saved = start  # the steps of the latest checkpoint (the start is one, or nothing)

    def save(self) -> None:
        """Write a checkpoint of the state at the start of the current rollout."""
        if self.trained != self.saved:
            extra = self.extra() if self.extra is not None else None
            tensors = self.tensors() if self.tensors is not None else None
            save_checkpoint(
                self.folder, self.model, self.env, self.trained, self.curve, extra, tensors
            )
            self.saved = self.trained

    def _on_rollout_start(self) -> None:
        self.trained = self.num_timesteps
        if self.trained - self.saved >= self.every:
            self.save()

    def _on_step(self) -> bool:
        return not self.flag.raised

    def _on_rollout_end(self) -> None:
        episodes = [info["r"] for info in self.model.ep_info_buffer]
        if episodes and self.record_curve:
            self.curve.append((self.num_timesteps, float(np.mean(episodes))))


class ProgressLines(BaseCallback):
    """Progress as plain lines on stderr (for logs: no progress-bar control characters).

    Args:
        budget: The run's env steps.
        lines: About how many lines over the whole run.
    """

    def __init__(self, budget: int, lines: int = 10) -> None:
        super().__init__()
        self.budget = budget
        self.every = max(budget // lines, 1)
        self.next = 0

    def _on_training_start(self) -> None:
        self.next = (self.num_timesteps // self.every + 1) * self.every

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.next:
            self.next = (self.num_timesteps // self.every + 1) * self.every
            episodes = [info["r"] for info in self.model.ep_info_buffer]
            mean = f", mean return {np.mean(episodes):.2f}" if episodes else ""
            print(f"{self.num_timesteps}/{self.budget} env steps{mean}", file=sys.stderr)
        return True
