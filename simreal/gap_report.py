"""The reality-gap report: every task's expert on its nominal model and on its real proxy.

Prints the reality-gap table, writes ``results.json``, a bar chart
``reality_gap.png`` and one rendered frame per task (nominal | real proxy) under
the output folder. Every file is written atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.envs.registry import make_expert, task_for
from simreal.reality_gap import GapRow, format_gap_table, measure_gap

FRAME_SIZE = (320, 240)


def final_frame(env_id: str, seed: int) -> NDArray[np.uint8]:
    """Render the last frame of one expert episode on ``env_id``."""
    width, height = FRAME_SIZE
    env = gym.make(env_id, render_mode="rgb_array", width=width, height=height)
    expert = make_expert(env_id)
    try:
        _, info = env.reset(seed=seed)
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(expert(info["state"]))
            done = terminated or truncated
        return env.render()
    finally:
        env.close()


def save_task_frames(env_id: str, path: Path, seed: int) -> None:
    """Save the final frames of the nominal task and of its real proxy side by side."""
    import matplotlib.pyplot as plt

    task = task_for(env_id)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.3))
    for ax, (label, plant) in zip(
        axes, (("nominal", task.env_id), ("real proxy", task.real_id)), strict=True
    ):
        ax.imshow(final_frame(plant, seed))
        ax.set_title(f"{task.name}: {label}", fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=100))
    plt.close(fig)


def plot_gap(rows: Sequence[GapRow], path: Path) -> None:
    """Bar chart of expert success on nominal vs real proxy, with 95% intervals."""
    import matplotlib.pyplot as plt

    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(rows)), 3.8))
    for offset, key, colour in ((-0.2, "nominal", "tab:blue"), (0.2, "real", "tab:red")):
        results = [getattr(row, key) for row in rows]
        rates = np.array([r.success_rate for r in results])
        low = np.array([r.success_ci95_low for r in results])
        high = np.array([r.success_ci95_high for r in results])
        # Clipped at 0: the interval's bound can differ from the rate by rounding at 0% or 100%.
        err = np.clip(np.stack([rates - low, high - rates]), 0.0, None)
        label = "nominal model" if key == "nominal" else "real proxy"
        ax.bar(x + offset, rates, 0.4, yerr=err, capsize=3, color=colour, label=label)
    ax.set_xticks(x, [task_for(row.task).name for row in rows], rotation=20, ha="right")
    ax.set_ylabel("expert success rate")
    ax.set_ylim(0, 1.25)
    ax.set_title(
        f"The reality gap: experts on nominal vs real proxy ({rows[0].nominal.episodes} episodes)"
    )
    ax.legend(loc="upper right", ncol=2)
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=100))
    plt.close(fig)


def run_gap_report(
    env_ids: Sequence[str],
    episodes: int,
    seed: int,
    out_dir: Path,
    progress: Callable[[str], None] = print,
) -> list[GapRow]:
    """Measure the reality gap of every task's expert and save table, plot and frames.

    Args:
        env_ids: Nominal task ids to run.
        episodes: Episodes per plant.
        seed: Seed of the first episode.
        out_dir: Folder for ``results.json``, ``reality_gap.png`` and ``frames/``.
        progress: Receives one line per finished task.

    Returns:
        One row per task.
    """
    import matplotlib

    matplotlib.use("Agg")
    out_dir = Path(out_dir)
    rows = []
    for i, env_id in enumerate(env_ids, start=1):
        start = time.perf_counter()
        row = measure_gap(env_id, episodes, seed)
        rows.append(row)
        frame_path = out_dir / "frames" / f"{task_for(env_id).name}.png"
        save_task_frames(env_id, frame_path, seed)
        progress(
            f"[{i}/{len(env_ids)}] {env_id}: success {row.nominal.success_rate:.0%} nominal, "
            f"{row.real.success_rate:.0%} real proxy ({time.perf_counter() - start:.1f} s)"
        )
    write_json_atomic(
        out_dir / "results.json",
        {"episodes": episodes, "seed": seed, "tasks": [row.to_dict() for row in rows]},
    )
    plot_gap(rows, out_dir / "reality_gap.png")
    progress("")
    progress(format_gap_table(rows))
    written = [out_dir / "results.json", out_dir / "reality_gap.png", out_dir / "frames"]
    progress("\nWrote " + ", ".join(str(p) for p in written))
    return rows
