"""Robot models that installed packages ship, by name: ``<package>:<model>``.

Users fit and randomize their own robot, most often a model from MuJoCo Menagerie,
robosuite or dm_control. The ``mujoco-menagerie`` package downloads its models at run
time; these packages ship theirs, meshes and includes beside them, and are found
without importing them (``robosuite_models`` cannot be imported without robosuite):

* ``robosuite-models:<robot>``: the arms and robots of ``robosuite-models``
  (``z1``, ``vx300s``, ``arx5``, ``yumi``, ...; motors, as robosuite drives them);
* ``gymnasium-robotics:franka_kitchen``: the Franka Emika Panda of Gymnasium-Robotics'
  kitchen (position servos, ``kp``), with its kitchen;
* ``dm_control:<model>``: dm_control suite models (``cartpole``, ``acrobot``, ...);
* ``gymnasium:<model>``: Gymnasium's MuJoCo models (``reacher``, ``half_cheetah``, ...).

>>> resolve_model("dm_control:cartpole").name
'cartpole.xml'
"""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

INSTALL = {"robosuite-models": "robosuite-models", "gymnasium-robotics": "gymnasium-robotics",
           "dm_control": "dm-control", "gymnasium": "gymnasium[mujoco]"}  # fmt: skip


class ModelNameError(ValueError):
    """A model name that no installed package ships; the message lists close names."""


def _package_dir(module: str) -> Path | None:
    """Where an installed package lives, without importing it (``None`` if not installed)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _robosuite_models() -> dict[str, Path]:
    root = _package_dir("robosuite_models")
    if root is None:
        return {}
    robots = sorted((root / "assets" / "robots").glob("*/robot.xml"))
    return {f"robosuite-models:{path.parent.name}": path for path in robots}


def _gymnasium_robotics() -> dict[str, Path]:
    root = _package_dir("gymnasium_robotics")
    if root is None:
        return {}
    kitchen = root / "envs/assets/kitchen_franka/kitchen_assets/kitchen_env_model.xml"
    return {"gymnasium-robotics:franka_kitchen": kitchen} if kitchen.is_file() else {}


def _folder(package: str, module: str, sub: str) -> dict[str, Path]:
    root = _package_dir(module)
    if root is None:
        return {}
    return {f"{package}:{path.stem}": path for path in sorted((root / sub).glob("*.xml"))}


def catalog() -> dict[str, Path]:
    """Every model name the installed packages ship, with its MJCF file."""
    return {
        **_robosuite_models(),
        **_gymnasium_robotics(),
        **_folder("dm_control", "dm_control", "suite"),
        **_folder("gymnasium", "gymnasium", "envs/mujoco/assets"),
    }


def is_model_name(text: str) -> bool:
    """Whether ``text`` reads as ``<package>:<model>`` rather than a file path."""
    package, sep, model = text.partition(":")
    return bool(sep and package and model and "/" not in package and "\\" not in package)


def resolve_model(name: str) -> Path:
    """The MJCF file of a model name.

    Raises:
        ModelNameError: If no installed package ships it; the sentence lists close names
            (or, for a package that is not installed, how to install it).
    """
    models = catalog()
    if name in models:
        return models[name]
    package = name.partition(":")[0]
    if not any(known.startswith(f"{package}:") for known in models):
        hint = INSTALL.get(package)
        if package in ("menagerie", "mujoco-menagerie", "mujoco_menagerie"):
            raise ModelNameError(
                f"model {name!r}: the mujoco-menagerie package downloads its models when first "
                "used; give the path of the downloaded MJCF (its scene.xml), or use a model an "
                "installed package ships (e.g. gymnasium-robotics:franka_kitchen)."
            )
        if hint:
            raise ModelNameError(f"model {name!r}: package {package} is not installed; "
                                 f"`pip install {hint}`.")  # fmt: skip
        packages = sorted({known.partition(":")[0] for known in models})
        raise ModelNameError(
            f"model {name!r}: no package {package!r} ships models; use one of "
            f"{', '.join(packages)} (e.g. robosuite-models:z1), or give an MJCF path."
        )
    close = difflib.get_close_matches(name, list(models), n=4, cutoff=0.5)
    listed = ", ".join(close) if close else ", ".join(k for k in models if k.startswith(package))
    raise ModelNameError(f"model {name!r} does not exist; close names: {listed}.")
