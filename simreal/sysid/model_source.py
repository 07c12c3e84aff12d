"""The model a ``simreal record`` or ``simreal sysid`` command works on: ``--model`` or ``--task``.

``--model`` is an MJCF path or a model an installed package ships
(:mod:`simreal.model_catalog`); ``--task`` is a simreal task, a real proxy or a Gymnasium
MuJoCo env. Bad input ends with ``parser.error`` (exit code 2, one sentence).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a command runs, not when the CLI starts
    import gymnasium as gym
    import mujoco


def add_model_source(parser: argparse.ArgumentParser, task_help: str) -> None:
    """Add the required ``--model`` / ``--task`` choice (``task_help`` says what a task is for)."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model", type=Path,
        help="the robot's MJCF file, or a model an installed package ships "
        "(<package>:<model>, e.g. robosuite-models:z1, gymnasium-robotics:franka_kitchen, "
        "dm_control:cartpole)",
    )  # fmt: skip
    source.add_argument("--task", help=task_help)


def load_model(
    parser: argparse.ArgumentParser, path: Path | None, task: str | None
) -> tuple[mujoco.MjModel, gym.Env | None]:
    """The model of ``--model`` (a path or a catalog name) or ``--task``, and the env if any."""
    import gymnasium as gym
    import mujoco

    if path is not None:
        from simreal.model_catalog import ModelNameError, is_model_name, resolve_model

        if not path.is_file() and is_model_name(str(path)):
            try:
                path = resolve_model(str(path))
            except ModelNameError as error:
                parser.error(f"--model: {error}")
        if not path.is_file():
            parser.error(f"--model: {path} does not exist.")
        try:
            return mujoco.MjModel.from_xml_path(str(path)), None
        except ValueError as error:
            detail = " ".join(str(error).split()).rstrip(".")
            parser.error(f"--model: {path} does not compile: {detail}.")
    from simreal.cli_checks import check_env_id

    check_env_id(parser, "--task", task)
    try:
        env = gym.make(task)
    except gym.error.Error as error:
        parser.error(f"--task: {error}")
    if not isinstance(getattr(env.unwrapped, "model", None), mujoco.MjModel):
        parser.error(f"--task: {task} holds no MuJoCo model; give a MuJoCo env or --model.")
    return env.unwrapped.model, env


def require_actuators(
    parser: argparse.ArgumentParser, model: object, args: argparse.Namespace, job: str
) -> None:
    """Stop with one sentence if the model has no actuator (nothing to excite or fit)."""
    if model.nu == 0:
        flag, what = ("--model", args.model) if args.model is not None else ("--task", args.task)
        parser.error(
            f"{flag}: {what} has no actuators to {job}; give a model whose MJCF declares the "
            "robot's motors (<motor>, <position>, ... under <actuator>)."
        )
