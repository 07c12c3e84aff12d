"""Frames per second of simreal's pixel envs against raw ``mujoco.Renderer``, side by side.

For ReachPixels and PushPixels (and their pixel proxies), at each image size, time in one
process, alternating rounds so that a noisy machine hits both alike:

* raw:    ``mujoco.mj_step(model, data, nstep=frame_skip)`` with random controls, then
          ``Renderer.update_scene(data, camera)`` and ``Renderer.render()`` of the same
          scene and camera: physics plus one frame, no Python env around it;
* env:    ``env.step(action)`` of the pixel env through ``gymnasium.make`` (its
          observation is that frame; its one renderer is reused), resetting on episode end;
* proxy:  the same for the ``...PixelsReal-v0`` proxy, whose camera adds blur, read
          noise and JPEG compression to every frame.

It prints frames per second and the ratio env/raw (1.0 = no overhead; target >= 0.8).
Rendering is offscreen (``MUJOCO_GL=egl``; on a machine without a GPU, Mesa's software
renderer).

With ``--student``, it then trains one Reach pixel student with the settings of
``experiments/visual_dr.py`` (visual DR at width 1, its visual terms redrawn every
step, one torch thread) and prints its
wall time per DAgger round, split into rollouts (physics, rendering and the two
policies) and fitting.

    python benchmarks/render_throughput.py [--frames 300] [--sizes 64,128] [--rounds 3]
        [--student]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym
import mujoco
import numpy as np
from env_step_overhead import env_steps_per_second  # the same timing loop

import simreal  # noqa: F401  (registers the tasks)
from simreal.envs.registry import task_for
from simreal.learning.pixel_student import StudentConfig, train_student
from simreal.randomization import load_spec
from simreal.randomization.visual_terms import visual_every


def raw_fps(env_id: str, size: int, frames: int) -> float:
    """Physics and one render per control step on the task's model, without the env."""
    base = gym.make(env_id, image_size=size).unwrapped
    model, data = base.model, mujoco.MjData(base.model)
    renderer = mujoco.Renderer(model, height=size, width=size)
    low, high = model.actuator_ctrlrange.T
    controls = np.random.default_rng(0).uniform(low, high, size=(frames, model.nu))
    mujoco.mj_forward(model, data)
    renderer.update_scene(data, camera=base.camera_name)
    renderer.render()  # the first frame sets up the context, as the env's reset does
    start = time.perf_counter()
    for ctrl in controls:
        data.ctrl[:] = ctrl
        mujoco.mj_step(model, data, nstep=base.frame_skip)
        renderer.update_scene(data, camera=base.camera_name)
        renderer.render()
    seconds = time.perf_counter() - start
    renderer.close()
    base.close()
    return frames / seconds


def env_fps(env_id: str, size: int, frames: int) -> float:
    """``env.step`` of a pixel env with random actions (each step returns one frame)."""
    env = gym.make(env_id, image_size=size)
    rate = env_steps_per_second(env, frames)
    env.close()
    return rate


def student_wall_time() -> None:
    """Train the experiment's Reach student once and print where its time goes."""
    import torch

    torch.set_num_threads(1)
    task = "simreal/ReachPixels-v0"
    spec = visual_every(load_spec(task_for(task).default_spec_path), 1).to_dict()
    config = StudentConfig(task, dr=spec, width=1.0, image_size=64, rounds=4, episodes=100,
                           episode_steps=25, epochs=15)  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        train_student(config, folder, progress=False)
        total = time.perf_counter() - started
        rounds = json.loads((Path(folder) / "student.json").read_text())["rounds"]
    print(f"\npixel student of {task}: visual DR width 1, {config.image_size} px, "
          f"{config.episodes} episodes x {config.episode_steps} steps per round, "
          f"{config.epochs} epochs, one torch thread")  # fmt: skip
    print("| round | frames rendered | rollouts, s | frames/s | frames trained on | fit, s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rounds:
        print(f"| {r['round']} | {r['frames_rendered']:,} | {r['rollout_seconds']:.0f} | "
              f"{r['frames_rendered'] / r['rollout_seconds']:.0f} | {r['samples']:,} | "
              f"{r['fit_seconds']:.0f} |")  # fmt: skip
    print(f"total wall time {total / 60:.1f} min (target <= 30 min)")


def main() -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="frames per measurement")
    parser.add_argument("--sizes", default="64,128", help="image sides in pixels")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    parser.add_argument("--student", action="store_true",
                        help="also time one Reach pixel student's training")  # fmt: skip
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{args.frames} frames per measurement, median of {args.rounds} rounds, "
          f"MUJOCO_GL={os.environ['MUJOCO_GL']}")  # fmt: skip
    print("| task | image | raw mujoco.Renderer, frames/s | env | env / raw | proxy "
          "| proxy / raw |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for task in ("ReachPixels", "PushPixels"):
        env_id, real_id = f"simreal/{task}-v0", f"simreal/{task}Real-v0"
        for size in sizes:
            timings: dict[str, list[float]] = {"raw": [], "env": [], "proxy": []}
            for _ in range(args.rounds):
                timings["raw"].append(raw_fps(env_id, size, args.frames))
                timings["env"].append(env_fps(env_id, size, args.frames))
                timings["proxy"].append(env_fps(real_id, size, args.frames))
            raw, env, proxy = (float(np.median(timings[k])) for k in ("raw", "env", "proxy"))
            print(f"| {task} | {size} | {raw:,.0f} | {env:,.0f} | {env / raw:.2f} | "
                  f"{proxy:,.0f} | {proxy / raw:.2f} |", flush=True)  # fmt: skip
    if args.student:
        student_wall_time()


if __name__ == "__main__":
    main()
