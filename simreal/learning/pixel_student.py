"""Teacher-student DAgger: a pixel policy taught by the task's privileged state expert.

The standard recipe for visual sim-to-real (Chen et al. 2020, "Learning by Cheating";
Tobin et al. 2017 for the randomization): the teacher — the task's scripted expert —
acts on the simulator's state (``info["state"]``), which a robot's camera policy never
sees; the student sees only the camera image (and the joint encoders, where the task
has them) and learns to act as the teacher would. DAgger (Ross et al. 2011) makes the
student visit its own mistakes: round 0 is the teacher alone; in round ``i`` the
teacher acts with probability ``beta_decay ** i`` per step and the student otherwise,
and every visited frame is labelled with the teacher's action. Rollouts run under the
given visual + dynamics randomization (``simreal.make``).

Departures from textbook DAgger, for CPU budgets: each round fine-tunes the previous
round's network on the aggregate (warm start) instead of training from scratch, for
``epochs`` passes.

The output folder holds ``round_<i>.npz`` (that round's frames, proprioception and
labels; uint8 and float arrays, read with ``allow_pickle=False``), ``round_<i>/``
(the student after it) and ``policy/`` (the final student, a run folder that
``simreal eval`` loads), plus ``student.json`` (rounds, samples, losses, seconds).
A rerun resumes after the last finished round.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.learning.encoder_names import ENCODERS
from simreal.learning.image_augment import AUGMENTATIONS, augment
from simreal.learning.pixel_policy import (
    PixelPolicy,
    PixelPolicyNet,
    save_policy,
    split_observation,
)


class StudentFolderError(ValueError):
    """The output folder holds a student of other settings."""


@dataclass(frozen=True)
class StudentConfig:
    """Settings of a pixel student.

    Attributes:
        task: A pixel task (``simreal/ReachPixels-v0``); its expert is the teacher.
        dr: DR spec (dict) the rollouts run under (``None``: the nominal task).
        width: Global width of ``dr``.
        image_size: Side of the camera images (>= 36).
        proprio: Also observe the joint encoders (``obs_type="pixels_proprio"``).
        rounds: DAgger rounds after the teacher's round 0.
        episodes: Episodes rolled out and labelled per round.
        episode_steps: Steps of each labelled episode (``None``: the task's whole
            episode). Shorter episodes give more targets, lights and poses for the
            same number of rendered frames; evaluation still runs whole episodes.
        beta_decay: The teacher acts with probability ``beta_decay ** round`` per step.
        epochs: Passes over the aggregated data per round.
        batch_size: Minibatch size.
        learning_rate: Adam's learning rate.
        augment: ``none``, ``shift`` (DrQ), ``jitter`` (colour) or ``shift+jitter``.
        encoder: ``nature`` (SB3's NatureCNN) or ``keypoints`` (spatial softmax).
        features: NatureCNN's output features, or the number of keypoints (``simreal
            dagger --encoder keypoints`` takes 16).
        hidden: Hidden layer sizes of the head.
        seed: Seed of the rollouts, the mixture, the network and the augmentation.
    """

    task: str
    dr: dict | None = None
    width: float = 1.0
    image_size: int = 64
    proprio: bool = True
    rounds: int = 4
    episodes: int = 20
    episode_steps: int | None = None
    beta_decay: float = 0.5
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 3e-4
    augment: str = "none"
    encoder: str = "nature"
    features: int = 256
    hidden: tuple[int, ...] = field(default=(256, 256))
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("episodes", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if self.episode_steps is not None and self.episode_steps < 1:
            raise ValueError(f"episode_steps must be >= 1, got {self.episode_steps}.")
        if self.rounds < 0 or not 0 <= self.beta_decay <= 1:
            raise ValueError("rounds must be >= 0 and beta_decay in [0, 1].")
        if self.image_size < 36:
            raise ValueError(f"image_size must be >= 36 (NatureCNN), got {self.image_size}.")
        if self.encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {self.encoder!r}.")
        if self.augment not in AUGMENTATIONS:
            raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {self.augment!r}.")

    @property
    def obs_type(self) -> str:
        """The env's observation type."""
        return "pixels_proprio" if self.proprio else "pixels"


def rollouts(env: Any, teacher: Any, student: Any, beta: float, config: StudentConfig,  # noqa: ANN401
             seed: int, rng: np.random.Generator) -> dict[str, np.ndarray]:  # fmt: skip
    """Mixture rollouts; every visited frame labelled with the teacher's action in [-1, 1].

    Args:
        env: The pixel env (``pixels`` or ``pixels_proprio`` observations).
        teacher: ``state -> action``, fed ``info["state"]``.
        student: ``observation -> action`` (``None``: the teacher acts alone).
        beta: Probability that the teacher acts, per step.
        config: The student's settings (``episodes`` per call).
        seed: Seed of the first episode (then ``seed + 1``, ...).
        rng: Draws the mixture.

    Returns:
        ``images`` (N, 3, H, W) uint8, ``proprio`` (N, P) and ``labels`` (N, A) in [-1, 1].
    """
    low, high = env.action_space.low, env.action_space.high
    images, proprio, labels = [], [], []
    for episode in range(config.episodes):
        obs, info = env.reset(seed=seed + episode)
        for actor in (teacher, student):
            if hasattr(actor, "reset"):
                actor.reset()
        done, steps = False, 0
        while not done:
            label = np.clip(np.asarray(teacher(info["state"]), np.float64), low, high)
            image, joints = split_observation(obs)
            images.append(image.transpose(2, 0, 1))
            proprio.append(joints if joints is not None else np.zeros(0))
            labels.append(2.0 * (label - low) / (high - low) - 1.0)
            use_teacher = student is None or rng.random() < beta
            action = label if use_teacher else np.asarray(student(obs), np.float64)
            obs, _, terminated, truncated, info = env.step(action.astype(env.action_space.dtype))
            steps += 1
            done = terminated or truncated or steps == config.episode_steps
    return {"images": np.array(images, np.uint8), "proprio": np.array(proprio, np.float64),
            "labels": np.array(labels, np.float32)}  # fmt: skip


def fit(net: PixelPolicyNet, data: dict[str, np.ndarray], stats: dict[str, np.ndarray],
        config: StudentConfig, generator: torch.Generator) -> float:  # fmt: skip
    """``epochs`` passes of MSE regression on the labels; returns the last epoch's mean loss.

    Args:
        net: The student, trained in place.
        data: ``images``, ``proprio`` and ``labels`` (see :func:`rollouts`).
        stats: ``mean`` and ``std`` that standardise the proprioception.
        config: Epochs, batch size, learning rate and augmentation.
        generator: Draws the minibatch order and the augmentation.
    """
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    images = torch.as_tensor(data["images"])
    proprio = torch.as_tensor((data["proprio"] - stats["mean"]) / stats["std"], dtype=torch.float32)
    labels = torch.as_tensor(data["labels"])
    n = len(labels)
    loss_sum = 0.0
    net.train()
    for _ in range(config.epochs):
        order = torch.randperm(n, generator=generator)
        loss_sum = 0.0
        for start in range(0, n, config.batch_size):
            index = order[start : start + config.batch_size]
            batch = augment(images[index], config.augment, generator)
            loss = torch.nn.functional.mse_loss(net(batch, proprio[index]), labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(index)
    net.eval()
    return loss_sum / n


def read_round(path: Path) -> dict[str, np.ndarray]:
    """One round's data (arrays only: nothing in the file is executed)."""
    with np.load(path, allow_pickle=False) as stored:
        return {key: np.array(stored[key]) for key in stored.files}


def train_student(config: StudentConfig, out: str | Path, progress: bool = True) -> Path:
    """Run teacher-student DAgger; return the final student's run folder (``out/policy``).

    Raises:
        KeyError: If the task has no expert to teach.
        StudentFolderError: If ``out`` holds a student of other settings.
    """
    import simreal
    from simreal.envs.registry import make_expert

    out = Path(out)
    settings = json.loads(json.dumps(asdict(config)))  # as JSON reads it back
    recorded = out / "settings.json"
    if recorded.is_file():
        before = json.loads(recorded.read_text())
        changed = sorted(k for k in settings if before.get(k) != settings[k])
        if changed:
            raise StudentFolderError(
                f"--out: {out} holds a student of other settings ({', '.join(changed)}); "
                "rerun with its settings to resume, or use another --out."
            )
    env = simreal.make(config.task, dr=config.dr, width=config.width if config.dr else None,
                       obs_type=config.obs_type, image_size=config.image_size)  # fmt: skip
    teacher = make_expert(config.task)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(recorded, settings)
    action_dim = env.action_space.shape[0]
    proprio_dim = env.observation_space["proprio"].shape[0] if config.proprio else 0
    # The initial weights from the seed, without touching torch's global generator.
    with torch.random.fork_rng():
        torch.manual_seed(config.seed)
        net = PixelPolicyNet(config.image_size, proprio_dim, action_dim, config.features,
                             tuple(config.hidden), config.encoder)  # fmt: skip
    record = {
        **asdict(config),
        "obs_type": config.obs_type,
        "proprio_dim": proprio_dim,
        "action_low": env.action_space.low.tolist(),
        "action_high": env.action_space.high.tolist(),
    }
    rng = np.random.default_rng(config.seed)  # the mixture of round 1 and on
    history: list[dict[str, Any]] = []
    student = None
    stats: dict[str, np.ndarray] = {}
    parts: list[dict[str, np.ndarray]] = []
    for i in range(config.rounds + 1):
        started = time.perf_counter()
        beta = 1.0 if i == 0 else config.beta_decay**i
        stored, policy = out / f"round_{i}.npz", out / f"round_{i}"
        summary = out / f"round_{i}.json"
        if stored.is_file() and summary.is_file():  # finished before a stop
            parts.append(read_round(stored))
            history.append(json.loads(summary.read_text()))
            if i == 0:  # the teacher's round fixes the proprioception's statistics
                stats = _stats(parts[0]["proprio"], proprio_dim)
            student = PixelPolicy(policy)
            net.load_state_dict(student.net.state_dict())
            rng = np.random.default_rng([config.seed, i + 1])  # as a finished round leaves it
            continue
        part = rollouts(env, teacher, student, beta, config, config.seed + 1000 * i, rng)
        rolled = time.perf_counter()
        write_atomic(stored, lambda tmp, part=part: np.savez(tmp, **part))
        fit_started = time.perf_counter()
        parts.append(part)
        if i == 0:
            stats = _stats(part["proprio"], proprio_dim)
        data = {key: np.concatenate([p[key] for p in parts]) for key in part}
        # Seeded per round, so a round after a resume draws what it would have drawn.
        generator = torch.Generator().manual_seed(1000 * config.seed + i)
        loss = fit(net, data, stats, config, generator)
        fit_seconds = round(time.perf_counter() - fit_started, 1)
        save_policy(net, record, {k: v.tolist() for k, v in stats.items()}, policy)
        student = PixelPolicy(policy)
        rng = np.random.default_rng([config.seed, i + 1])
        seconds = round(time.perf_counter() - started, 1)
        history.append({"round": i, "beta": beta, "samples": len(data["labels"]),
                        "frames_rendered": len(part["labels"]), "loss": loss,
                        "seconds": seconds, "rollout_seconds": round(rolled - started, 1),
                        "fit_seconds": fit_seconds})  # fmt: skip
        write_json_atomic(summary, history[-1])  # last: the round counts as finished
        if progress:
            print(f"round {i}: beta {beta:.3g}, {len(data['labels'])} labelled frames, "
                  f"loss {loss:.4f}, {history[-1]['seconds']:.0f} s", flush=True)  # fmt: skip
    env.close()
    final = out / "policy"
    staging = out / "policy.partial"
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(out / f"round_{config.rounds}", staging)
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    write_json_atomic(out / "student.json", {"config": record, "rounds": history})
    return final


def _stats(proprio: np.ndarray, dim: int) -> dict[str, np.ndarray]:
    """Mean and std (floored) of the proprioception of the teacher's round."""
    if dim == 0:
        return {"mean": np.zeros(0), "std": np.ones(0)}
    return {"mean": proprio.mean(axis=0), "std": np.maximum(proprio.std(axis=0), 1e-3)}
