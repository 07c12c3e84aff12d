"""Behaviour cloning from one demonstration dataset, with three action heads.

* ``gaussian``: SB3's PPO ``MlpPolicy`` (a Gaussian MLP) trained by maximum
  likelihood on the demonstrations; stored as a PPO model (tensors plus a JSON
  description, :mod:`~simreal.learning.policy_store`), so RL can fine-tune it.
* ``tokens``: RT-2-style action tokens — each action dimension binned uniformly
  over the action range (:class:`~simreal.learning.tokenizer.ActionTokenizer`),
  a cross-entropy head per dimension, decoded to the bin centre.
* ``flow``: pi0-style flow matching — a velocity field over action chunks of
  horizon H, trained with the flow-matching objective to transport Gaussian
  noise to the demonstrated chunk; sampling integrates it in K Euler steps and
  the chunk is executed receding-horizon (the first ``execute`` actions, then replan).

Every head writes a run folder (``config.json``, ``obs_norm.npz`` and its
weights) that ``simreal eval`` loads like an RL run. Torch weights are loaded
with ``torch.load(weights_only=True)``: loading a run executes no code from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.learning.policy_store import save_model
from simreal.learning.tokenizer import ActionTokenizer

HEADS = ("gaussian", "tokens", "flow")


class DatasetError(ValueError):
    """A dataset does not fit the task; the message names the mismatch."""


@dataclass(frozen=True)
class BCConfig:
    """What to clone and how.

    Attributes:
        task: The env id the demonstrations come from.
        head: ``gaussian``, ``tokens`` or ``flow``.
        epochs: Passes over the dataset.
        batch_size: Minibatch size.
        learning_rate: Adam step size.
        seed: Seed of initialisation, batching and sampling noise.
        hidden: Hidden layer sizes of the MLPs.
        bins: Bins per action dimension (tokens head).
        horizon: Action-chunk length H (flow head).
        flow_steps: Euler steps K when sampling (flow head).
        execute: Actions executed from each chunk before replanning (flow head).
    """

    task: str
    head: str
    epochs: int = 100
    batch_size: int = 256
    learning_rate: float = 1e-3
    seed: int = 0
    hidden: tuple[int, ...] = (256, 256)
    bins: int = 256
    horizon: int = 8
    flow_steps: int = 10
    execute: int = 4

    def __post_init__(self) -> None:
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {', '.join(HEADS)}, got {self.head!r}.")
        for name in ("epochs", "batch_size", "horizon", "flow_steps", "execute"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
        if self.execute > self.horizon:
            raise ValueError(f"execute ({self.execute}) must be at most horizon ({self.horizon}).")


def load_demos(path: str | Path, obs_dim: int, act_dim: int) -> dict[str, NDArray]:
    """Read a ``simreal collect`` dataset and check it against the task's spaces.

    Raises:
        DatasetError: If columns are missing or the dimensions differ from the task's.
    """
    from simreal.datasets.lerobot import is_lerobot_dataset
    from simreal.datasets.tables import TableError, read_columns

    if is_lerobot_dataset(path):
        return _load_lerobot(path, obs_dim, act_dim)
    try:
        columns = read_columns(path)
    except TableError as error:
        raise DatasetError(str(error)) from None
    obs_cols = sorted((c for c in columns if c.startswith("obs:")), key=lambda c: int(c[4:]))
    act_cols = sorted((c for c in columns if c.startswith("action:")), key=lambda c: int(c[7:]))
    if "episode_index" not in columns or not obs_cols or not act_cols:
        raise DatasetError(
            f"{path}: not a demonstration dataset (needs episode_index, obs:<i>, "
            "action:<j>; make one with simreal collect)."
        )
    if len(obs_cols) != obs_dim or len(act_cols) != act_dim:
        raise DatasetError(
            f"{path}: {len(obs_cols)} observation and {len(act_cols)} action entries, but the task "
            f"has {obs_dim} and {act_dim}; collect the dataset on this task."
        )
    return {
        "obs": np.stack([columns[c] for c in obs_cols], axis=1).astype(np.float64),
        "actions": np.stack([columns[c] for c in act_cols], axis=1).astype(np.float64),
        "episode": np.asarray(columns["episode_index"], np.int64),
    }


def _load_lerobot(path: str | Path, obs_dim: int, act_dim: int) -> dict[str, NDArray]:
    """A LeRobot dataset's ``observation.state``, ``action`` and ``episode_index``."""
    from simreal.datasets.lerobot import LeRobotFormatError, read_lerobot_dataset

    try:
        data = read_lerobot_dataset(path)
        obs, actions = data.feature("observation.state"), data.feature("action")
        episode = data.feature("episode_index")
    except LeRobotFormatError as error:
        raise DatasetError(str(error)) from None
    obs, actions = obs.reshape(len(obs), -1), actions.reshape(len(actions), -1)
    if obs.shape[1] != obs_dim or actions.shape[1] != act_dim:
        raise DatasetError(
            f"{path}: observation.state has {obs.shape[1]} and action {actions.shape[1]} entries, "
            f"but the task has {obs_dim} and {act_dim}; use a dataset of this robot and task."
        )
    return {"obs": obs.astype(np.float64), "actions": actions.astype(np.float64),
            "episode": np.asarray(episode, np.int64)}  # fmt: skip


def _mlp(sizes: list[int]):  # noqa: ANN202
    import torch

    layers: list = []
    for a, b in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    return torch.nn.Sequential(*layers)


def _chunks(actions: NDArray, episode: NDArray, horizon: int) -> NDArray:
    """For every step, the next ``horizon`` actions of its episode (the last one repeated)."""
    out = np.empty((len(actions), horizon, actions.shape[1]))
    for t in range(len(actions)):
        end = t
        for k in range(horizon):
            if end + 1 < len(actions) and episode[end + 1] == episode[t] and k > 0:
                end += 1
            out[t, k] = actions[end]
    return out


def train_bc(config: BCConfig, data: str | Path, out: str | Path, progress: bool = True) -> Path:
    """Clone the demonstrations into a run folder that ``simreal eval`` can load.

    Returns:
        The run folder.
    """
    import gymnasium as gym
    import torch

    import simreal  # noqa: F401

    env = gym.make(config.task)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    demos = load_demos(data, obs_dim, act_dim)
    low, high = env.action_space.low.astype(np.float64), env.action_space.high.astype(np.float64)
    mean, var = demos["obs"].mean(0), demos["obs"].var(0) + 1e-8
    obs = np.clip((demos["obs"] - mean) / np.sqrt(var), -10, 10)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    obs_t = torch.as_tensor(obs, dtype=torch.float32)
    n = len(obs)
    losses = []

    if config.head == "gaussian":
        from stable_baselines3 import PPO

        model = PPO(
            "MlpPolicy",
            env,
            seed=config.seed,
            device="cpu",
            policy_kwargs={"net_arch": list(config.hidden)},
        )
        policy = model.policy
        params = [p for name, p in policy.named_parameters() if "value" not in name]
        optimizer = torch.optim.Adam(params, lr=config.learning_rate)
        act_t = torch.as_tensor(demos["actions"], dtype=torch.float32)

        def loss_fn(idx: NDArray) -> Any:  # noqa: ANN401
            _, log_prob, _ = policy.evaluate_actions(obs_t[idx], act_t[idx])
            return -log_prob.mean()

        modules = policy
    else:
        scale = torch.as_tensor((high - low) / 2, dtype=torch.float32)
        centre = torch.as_tensor((high + low) / 2, dtype=torch.float32)
        if config.head == "tokens":
            tokenizer = ActionTokenizer(low, high, config.bins)
            targets = torch.as_tensor(tokenizer.encode(demos["actions"]), dtype=torch.long)
            net = _mlp([obs_dim, *config.hidden, act_dim * config.bins])

            def loss_fn(idx: NDArray) -> Any:  # noqa: ANN401
                logits = net(obs_t[idx]).view(-1, act_dim, config.bins)
                return torch.nn.functional.cross_entropy(
                    logits.reshape(-1, config.bins), targets[idx].reshape(-1)
                )
        else:
            chunks = _chunks(demos["actions"], demos["episode"], config.horizon)
            x1_all = ((torch.as_tensor(chunks, dtype=torch.float32) - centre) / scale).reshape(
                n, -1
            )
            width = config.horizon * act_dim
            net = _mlp([obs_dim + width + 1, *config.hidden, width])

            def loss_fn(idx: NDArray) -> Any:  # noqa: ANN401
                x1 = x1_all[idx]
                x0 = torch.randn_like(x1)
                tau = torch.rand(len(idx), 1)
                x_tau = (1 - tau) * x0 + tau * x1
                velocity = net(torch.cat([obs_t[idx], x_tau, tau], dim=1))
                return ((velocity - (x1 - x0)) ** 2).mean()

        optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
        modules = net

    for epoch in range(config.epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, config.batch_size):
            idx = order[start : start + config.batch_size]
            loss = loss_fn(idx)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / n)
        if progress and (epoch % max(1, config.epochs // 10) == 0 or epoch == config.epochs - 1):
            print(f"epoch {epoch + 1}/{config.epochs}: loss {losses[-1]:.4g}", flush=True)

    stats = {
        "mean": mean,
        "var": var - 1e-8,
        "count": np.array(float(n)),
        "clip_obs": np.array(10.0),
        "epsilon": np.array(1e-8),
    }
    write_atomic(out / "obs_norm.npz", lambda tmp: np.savez(tmp, **stats))
    if config.head == "gaussian":
        save_model(model, out)
    else:
        state = {k: v.detach().clone() for k, v in modules.state_dict().items()}
        write_atomic(out / "model.pt", lambda tmp: torch.save(state, tmp))
    document = {
        "kind": f"bc_{config.head}",
        **asdict(config),
        "losses": losses,
        "action_low": low.tolist(),
        "action_high": high.tolist(),
        "data": str(data),
    }
    write_json_atomic(out / "config.json", document)
    return out


class ChunkPolicy:
    """Token or flow head as an ``obs -> action`` policy (flow: receding-horizon chunks)."""

    def __init__(self, run: Path, document: dict, stats: dict) -> None:
        import torch

        self.config = BCConfig(
            **{
                k: (tuple(v) if k == "hidden" else v)
                for k, v in document.items()
                if k in BCConfig.__dataclass_fields__
            }
        )
        self.low, self.high = np.array(document["action_low"]), np.array(document["action_high"])
        self.act_dim = self.low.size
        self.obs_dim = stats["mean"].size
        self.mean, self.std = stats["mean"], np.sqrt(stats["var"] + 1e-8)
        try:
            state = torch.load(run / "model.pt", map_location="cpu", weights_only=True)
        except Exception as error:  # noqa: BLE001 - any failure is a broken file
            raise ValueError(
                f"{run / 'model.pt'}: cannot load the weights ({type(error).__name__}); the file "
                "is truncated or not simreal's: rerun the simreal bc command that wrote it."
            ) from None
        c = self.config
        if c.head == "tokens":
            self.tokenizer = ActionTokenizer(self.low, self.high, c.bins)
            self.net = _mlp([self.obs_dim, *c.hidden, self.act_dim * c.bins])
        else:
            width = c.horizon * self.act_dim
            self.net = _mlp([self.obs_dim + width + 1, *c.hidden, width])
        self.net.load_state_dict(state)
        self.net.eval()
        self.rng = np.random.default_rng(c.seed)
        self.queue: list[NDArray] = []

    def reset(self) -> None:
        """Drop the rest of the current chunk."""
        self.queue = []

    def __call__(self, obs: NDArray) -> NDArray:
        """The next action."""
        import torch

        x = torch.as_tensor(
            np.clip((obs - self.mean) / self.std, -10, 10)[None], dtype=torch.float32
        )
        c = self.config
        with torch.no_grad():
            if c.head == "tokens":
                logits = self.net(x).view(self.act_dim, c.bins)
                return self.tokenizer.decode(logits.argmax(dim=1).numpy())
            if not self.queue:
                width = c.horizon * self.act_dim
                sample = torch.as_tensor(self.rng.standard_normal((1, width)), dtype=torch.float32)
                for k in range(c.flow_steps):
                    tau = torch.full((1, 1), k / c.flow_steps)
                    sample = sample + self.net(torch.cat([x, sample, tau], dim=1)) / c.flow_steps
                chunk = sample.numpy().reshape(c.horizon, self.act_dim)
                chunk = (self.high + self.low) / 2 + chunk * (self.high - self.low) / 2
                self.queue = list(np.clip(chunk, self.low, self.high)[: c.execute])
            return self.queue.pop(0)


def read_run_kind(run: str | Path) -> str:
    """``rl`` for ``simreal train`` runs, ``bc_<head>`` for cloned ones (``""`` if unreadable)."""
    path = Path(run) / "config.json"
    try:
        return json.loads(path.read_text()).get("kind", "rl")
    except (OSError, ValueError, AttributeError):
        return ""
