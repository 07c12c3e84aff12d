"""How far is the pixel proxies' camera from the nominal render, and from visual DR?

For ReachPixels and PushPixels, from the same initial state (the same seed), this renders
the nominal frame and the real proxy's frame (its camera's visual gap: scene, then
sensor), then four first frames under the task's default visual + dynamics DR at width 1
(seeds after it, so other initial states), writes them
side by side to a PNG and prints the mean absolute pixel difference of each from the
nominal frame (0-255 scale).

    python experiments/visual_gap.py [--size 128] [--out docs/visual_gap.png]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym
import numpy as np

import simreal
from simreal.atomic_io import write_atomic

SAMPLES = 4


def frames(task: str, size: int, seed: int) -> dict[str, np.ndarray]:
    """The nominal, proxy and DR-sample observations of one task's first step."""
    shown = {}
    nominal = gym.make(f"simreal/{task}-v0", image_size=size)
    shown["nominal"] = nominal.reset(seed=seed)[0]
    nominal.close()
    real = gym.make(f"simreal/{task}Real-v0", image_size=size)
    shown["real proxy"] = real.reset(seed=seed)[0]
    real.close()
    randomized = simreal.make(f"simreal/{task}-v0", dr="default", width=1.0, image_size=size)
    for sample in range(SAMPLES):
        shown[f"DR sample {sample + 1}"] = randomized.reset(seed=seed + 1 + sample)[0]
    randomized.close()
    return shown


def main() -> None:
    """Render, print the differences and write the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="image side in pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("docs/visual_gap.png"))
    args = parser.parse_args()
    rows = {task: frames(task, args.size, args.seed) for task in ("ReachPixels", "PushPixels")}
    for task, shown in rows.items():
        base = shown["nominal"].astype(np.int16)
        print(task + ": mean |frame - nominal| (0-255)")
        for name, image in shown.items():
            if name != "nominal":
                print(f"  {name}: {np.abs(image.astype(np.int16) - base).mean():.1f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = 2 + SAMPLES
    figure, axes = plt.subplots(len(rows), columns, figsize=(2.1 * columns, 2.3 * len(rows)))
    for row, (task, shown) in zip(axes, rows.items(), strict=True):
        for axis, (name, image) in zip(row, shown.items(), strict=True):
            axis.imshow(image)
            axis.set_title(f"{task}: {name}" if name == "nominal" else name, fontsize=8)
            axis.axis("off")
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, lambda tmp: figure.savefig(tmp, dpi=100, format="png"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
