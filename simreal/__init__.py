"""simreal: sim-to-real robot learning on MuJoCo.

Importing simreal registers its tasks with Gymnasium under the ``simreal/``
namespace (``gymnasium.make("simreal/PendulumSwingup-v0")``). The import stays
light: the tasks themselves, torch and Stable-Baselines3 load only when used.
"""

from __future__ import annotations

import os
import sys

# Headless Linux machines have no display for GLFW; MuJoCo reads MUJOCO_GL once,
# when it is first imported, so choose EGL before anything imports it.
if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")

from simreal.envs.registry import register_tasks  # noqa: E402

__version__ = "0.1.0"

register_tasks()


def make(env_id: str, dr: object = None, width: float | None = None, **kwargs: object) -> object:
    """Build an env with domain randomization; see :func:`simreal.factory.make`."""
    from simreal.factory import make as _make

    return _make(env_id, dr=dr, width=width, **kwargs)


def make_vec(env_id: str, n_envs: int = 8, **kwargs: object) -> object:
    """Build N randomized envs stepped together; see :func:`simreal.vector.make_vec.make_vec`."""
    from simreal.vector.make_vec import make_vec as _make_vec

    return _make_vec(env_id, n_envs, **kwargs)
