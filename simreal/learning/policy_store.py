"""Store SB3 models as tensors plus a JSON description; loading executes no code from the file.

A stored model is two files in a folder::

    policy.json   what to rebuild: algorithm, SB3 policy alias, spaces, policy_kwargs, step count
    policy.pt     the tensors: the policy's and optimizers' state dicts (and SAC's entropy
                  coefficient), written with ``torch.save`` and read with ``weights_only=True``

SB3's own ``policy.zip`` (``model.save``) stores the policy class and spaces as
cloudpickle, and ``PPO.load`` / ``SAC.load`` unpickle them: loading someone's file
runs their code. A ``policy.zip`` of an older simreal run is therefore read only
with ``trust_pickle=True`` (the ``--trust-pickle`` flag of the commands).

Classes in ``policy_kwargs`` (e.g. ``activation_fn``) are stored by name and
resolved only inside ``torch.nn`` and ``torch.optim``; the policy class by its SB3
alias or its name in :data:`simreal.learning.sac_policy.POLICIES`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from simreal.atomic_io import write_atomic, write_json_atomic

DESCRIPTION = "policy.json"
WEIGHTS = "policy.pt"
PICKLED = "policy.zip"
FORMAT = "simreal-policy/1"


class RunError(ValueError):
    """A run folder is missing, truncated or belongs to another run; the message says which."""


def algorithm_class(name: str):  # noqa: ANN201 - an SB3 algorithm class
    """The SB3 class of ``ppo`` or ``sac``."""
    from stable_baselines3 import PPO, SAC

    classes = {"ppo": PPO, "sac": SAC}
    if name not in classes:
        raise RunError(f"unknown algorithm {name!r}; simreal stores ppo and sac models.")
    return classes[name]


def _space_to_json(space: Any) -> dict:  # noqa: ANN401
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "low": space.low.tolist(),
            "high": space.high.tolist(),
            "dtype": str(space.dtype),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    raise ValueError(f"cannot describe a {type(space).__name__} space; use Box or Discrete.")


def _space_from_json(data: dict) -> Any:  # noqa: ANN401
    from gymnasium import spaces

    if data["type"] == "Box":
        dtype = np.dtype(data["dtype"])
        return spaces.Box(np.array(data["low"], dtype), np.array(data["high"], dtype), dtype=dtype)
    if data["type"] == "Discrete":
        return spaces.Discrete(data["n"], start=data["start"])
    raise ValueError(f"unknown space type {data['type']!r}")


def _kwargs_to_json(value: Any) -> Any:  # noqa: ANN401
    """``policy_kwargs`` as JSON: classes of torch.nn / torch.optim by name, the rest as is."""
    import torch

    if isinstance(value, dict):
        return {str(k): _kwargs_to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_kwargs_to_json(v) for v in value]
    if isinstance(value, type):
        for module in (torch.nn, torch.optim):
            if getattr(module, value.__name__, None) is value:
                return {"class": f"{module.__name__}.{value.__name__}"}
        raise ValueError(
            f"policy_kwargs holds the class {value.__qualname__}; only classes of torch.nn "
            "and torch.optim can be stored without pickling."
        )
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"policy_kwargs holds a {type(value).__name__}, which JSON cannot store.")


def _kwargs_from_json(value: Any) -> Any:  # noqa: ANN401
    import torch

    if isinstance(value, dict):
        if set(value) == {"class"}:
            module_name, _, name = value["class"].rpartition(".")
            module = {"torch.nn": torch.nn, "torch.optim": torch.optim}.get(module_name)
            found = getattr(module, name, None) if module is not None else None
            if not isinstance(found, type):
                raise ValueError(f"unknown class {value['class']!r}")
            return found
        return {k: _kwargs_from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_kwargs_from_json(v) for v in value]
    return value


def _policies(algorithm: type) -> dict[str, type]:
    """The policies a stored model may name: SB3's aliases and simreal's own classes."""
    from simreal.learning.sac_policy import POLICIES

    return {**algorithm.policy_aliases, **(POLICIES if algorithm.__name__ == "SAC" else {})}


def _policy_alias(model: Any) -> str:  # noqa: ANN401
    for alias, cls in _policies(type(model)).items():
        if cls is type(model.policy):
            return alias
    raise ValueError(
        f"{type(model.policy).__name__} is not one of {type(model).__name__}'s built-in "
        "policies; only those can be rebuilt from a description."
    )


def describe(model: Any) -> dict[str, Any]:  # noqa: ANN401
    """The JSON description :func:`load_model` rebuilds ``model`` from.

    A SAC model with a fixed entropy coefficient records it: SB3 then builds no
    coefficient optimizer, so a model rebuilt with the default (tuned) one would not
    hold the same tensors.
    """
    fixed = {}
    if getattr(model, "log_ent_coef", "absent") is None:  # SAC, ent_coef a number
        fixed = {"ent_coef": float(model.ent_coef)}
    return {
        **fixed,
        "format": FORMAT,
        "algo": type(model).__name__.lower(),
        "policy": _policy_alias(model),
        "observation_space": _space_to_json(model.observation_space),
        "action_space": _space_to_json(model.action_space),
        "policy_kwargs": _kwargs_to_json(model.policy_kwargs),
        "num_timesteps": int(model.num_timesteps),
    }


def model_tensors(model: Any) -> dict[str, Any]:  # noqa: ANN401
    """Every tensor of ``model``'s training state: state dicts and SB3's torch variables."""
    import torch

    _, variable_names = model._get_torch_save_params()  # noqa: SLF001 - SB3's list of them
    variables = {}
    for name in variable_names:
        value = getattr(model, name, None)
        if isinstance(value, torch.Tensor):
            variables[name] = value.detach().clone()
    return {"params": model.get_parameters(), "variables": variables}


def save_model(model: Any, folder: Path) -> None:  # noqa: ANN401
    """Store ``model`` in ``folder`` as ``policy.pt`` (tensors) and ``policy.json`` (description).

    The tensors are written first, so a folder whose description exists holds its tensors.

    Raises:
        ValueError: For a custom policy class or ``policy_kwargs`` that JSON cannot hold.
    """
    import torch

    folder = Path(folder)
    description = describe(model)
    tensors = model_tensors(model)
    write_atomic(folder / WEIGHTS, lambda tmp: torch.save(tensors, tmp))
    write_json_atomic(folder / DESCRIPTION, description)


def read_tensors(path: Path) -> dict[str, Any]:
    """Read a ``policy.pt`` with ``weights_only=True`` (tensors and plain containers only).

    Raises:
        RunError: For a missing, truncated or foreign file, with what to do.
    """
    import torch

    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any failure is a broken file
        raise RunError(
            f"{path}: cannot read the weights ({type(error).__name__}); the file is truncated "
            "or not simreal's: rerun the command that wrote the run to rewrite it."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
        raise RunError(f"{path}: not simreal weights; rerun the command that wrote the run.")
    return data


def restore_tensors(model: Any, tensors: dict[str, Any]) -> None:  # noqa: ANN401
    """Load :func:`model_tensors`'s output into a model built with the same settings."""
    import torch

    model.set_parameters(tensors["params"], exact_match=True, device="cpu")
    with torch.no_grad():
        for name, value in tensors.get("variables", {}).items():
            getattr(model, name).copy_(value)


class _SpacesOnly(gym.Env):
    """Stands in for an env when a model is rebuilt for inference: it has spaces, no dynamics."""

    def __init__(self, observation_space: Any, action_space: Any) -> None:  # noqa: ANN401
        self.observation_space, self.action_space = observation_space, action_space

    def reset(self, **kwargs: Any) -> tuple:  # noqa: ANN401
        raise RuntimeError("a model rebuilt for inference has no env to reset")

    def step(self, action: Any) -> tuple:  # noqa: ANN401
        raise RuntimeError("a model rebuilt for inference has no env to step")

    def close(self) -> None:
        """Nothing to release."""


def _load_described(folder: Path, algo: str, env: Any, algo_kwargs: dict) -> Any:  # noqa: ANN401
    path = folder / DESCRIPTION
    try:
        description = json.loads(path.read_text())
        if description.get("format") != FORMAT:
            raise ValueError(f"format {description.get('format')!r}, expected {FORMAT!r}")
        if description["algo"] != algo:
            raise ValueError(f"a {description['algo']} model, expected {algo}")
        observation_space = _space_from_json(description["observation_space"])
        action_space = _space_from_json(description["action_space"])
        policy_kwargs = _kwargs_from_json(description["policy_kwargs"])
        cls = algorithm_class(algo)
        policy = _policies(cls).get(description["policy"])
        if policy is None:
            raise ValueError(f"unknown policy {description['policy']!r}")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise RunError(
            f"{path}: not a simreal policy description ({error}); rerun the command that "
            "wrote the run."
        ) from None
    tensors = read_tensors(folder / WEIGHTS)
    if env is None:
        env = _SpacesOnly(observation_space, action_space)
        if algo == "sac":
            algo_kwargs = {"buffer_size": 1, **algo_kwargs}  # inference: no replay memory
    elif env.observation_space.shape != observation_space.shape:
        raise RunError(
            f"{folder} holds a policy for observations {observation_space.shape}; the env "
            f"has {env.observation_space.shape}."
        )
    kwargs = {**algo_kwargs, "policy_kwargs": policy_kwargs}
    if "ent_coef" in description:
        kwargs.setdefault("ent_coef", float(description["ent_coef"]))
    model = cls(policy, env, device="cpu", **kwargs)
    try:
        restore_tensors(model, tensors)
    except (RuntimeError, ValueError, KeyError, AttributeError) as error:
        raise RunError(
            f"{folder / WEIGHTS}: the weights do not fit the description ({type(error).__name__})"
            "; rerun the command that wrote the run."
        ) from None
    model.num_timesteps = int(description["num_timesteps"])
    return model


def has_model(folder: Path) -> bool:
    """Whether ``folder`` holds a stored model (tensors + description, or a pickled zip)."""
    folder = Path(folder)
    return (folder / DESCRIPTION).is_file() or (folder / PICKLED).is_file()


def load_model(
    folder: Path,
    algo: str,
    env: Any = None,  # noqa: ANN401
    *,
    trust_pickle: bool = False,
    algo_kwargs: dict | None = None,
) -> Any:  # noqa: ANN401
    """Rebuild an SB3 model stored by :func:`save_model`; no code from the folder runs.

    Args:
        folder: Holds ``policy.json`` and ``policy.pt`` (or an older run's ``policy.zip``).
        algo: ``ppo`` or ``sac``.
        env: The env to attach (``None``: a stand-in with the stored spaces, for inference).
        trust_pickle: Also read a pickled SB3 ``policy.zip``, running the code it holds.
        algo_kwargs: Keyword arguments of the algorithm (hyperparameters; default SB3's).

    Returns:
        The model, its ``num_timesteps`` as stored.

    Raises:
        RunError: For a missing, broken or pickled policy (the latter without ``trust_pickle``).
    """
    folder = Path(folder)
    if (folder / DESCRIPTION).is_file():
        return _load_described(folder, algo, env, dict(algo_kwargs or {}))
    pickled = folder / PICKLED
    if not pickled.is_file():
        raise RunError(f"{folder} holds no policy: {DESCRIPTION} and {WEIGHTS} are missing.")
    if not trust_pickle:
        raise RunError(
            f"{pickled} is a pickled SB3 model (written by an older simreal) and loading it "
            "would run code stored in the file; pass --trust-pickle (trust_pickle=True) only "
            "if you trust where it came from."
        )
    try:
        return algorithm_class(algo).load(pickled, env=env, device="cpu")
    except Exception as error:  # noqa: BLE001 - any load failure is a broken file
        raise RunError(
            f"{pickled}: cannot load the policy ({type(error).__name__}); it is "
            "truncated or not an SB3 model."
        ) from None
