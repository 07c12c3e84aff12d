"""A policy on camera images (and proprioception): the network, its run folder, its actions.

The image encoder is Stable-Baselines3's ``NatureCNN`` (Mnih et al. 2015: three
convolutions and a linear layer), the one SB3's ``CnnPolicy`` uses, or learned keypoints
(:class:`~simreal.learning.keypoint_encoder.KeypointEncoder`, a spatial softmax, for
policies that must locate small things precisely); the encoded image,
concatenated with the proprioception where the task gives it, goes through an MLP to
a tanh, scaled to the action range. It is trained by regression on a teacher's
actions (:mod:`simreal.learning.pixel_student`), not by SB3's algorithms, so it is a
plain ``nn.Module`` rather than an SB3 policy: what SB3 would add (a distribution, a
value head) a student does not use.

A run folder holds ``config.json`` (``kind: pixel_student``, the task, the image size,
the observation type, the action range and the layer sizes) and ``policy.pt`` (the
weights, read with ``weights_only=True``): loading never runs code from the folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from numpy.typing import NDArray
from stable_baselines3.common.torch_layers import NatureCNN
from torch import nn

from simreal.atomic_io import write_atomic, write_json_atomic
from simreal.envs.mujoco_task import PIXELS, PROPRIO
from simreal.learning.encoder_names import ENCODERS
from simreal.learning.keypoint_encoder import KeypointEncoder

KIND = "pixel_student"
WEIGHTS = "policy.pt"


class PixelPolicyNet(nn.Module):
    """An image encoder, an MLP on its features and the proprioception, tanh out.

    Args:
        image_size: Side of the square RGB image.
        proprio_dim: Length of the proprioception vector (0: none).
        action_dim: Action dimensions.
        features: NatureCNN's output features, or the keypoints of ``keypoints``.
        hidden: Hidden layer sizes of the head.
        encoder: ``nature`` (SB3's NatureCNN) or ``keypoints`` (spatial softmax).
    """

    def __init__(
        self,
        image_size: int,
        proprio_dim: int,
        action_dim: int,
        features: int = 256,
        hidden: tuple[int, ...] = (256, 256),
        encoder: str = "nature",
    ) -> None:
        super().__init__()
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {encoder!r}.")
        if image_size < 36:
            raise ValueError(f"image_size must be >= 36 for NatureCNN's strides, got {image_size}.")
        if encoder == "nature":
            image_space = spaces.Box(0, 255, shape=(3, image_size, image_size), dtype=np.uint8)
            self.encoder: nn.Module = NatureCNN(image_space, features_dim=features)
        else:
            self.encoder = KeypointEncoder(image_size, keypoints=features)
        sizes = [self.encoder.features_dim + proprio_dim, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers += [nn.Linear(sizes[-1], action_dim), nn.Tanh()]
        self.head = nn.Sequential(*layers)
        self.proprio_dim = proprio_dim

    def forward(self, images: torch.Tensor, proprio: torch.Tensor | None = None) -> torch.Tensor:
        """Actions in [-1, 1] for uint8 images ``(N, 3, H, W)`` and proprio ``(N, P)``."""
        features = self.encoder(images.float() / 255.0)
        if self.proprio_dim:
            features = torch.cat([features, proprio.float()], dim=1)
        return self.head(features)


def split_observation(obs: Any) -> tuple[NDArray[np.uint8], NDArray[np.float64] | None]:  # noqa: ANN401
    """The image ``(H, W, 3)`` and the proprioception (``None`` without) of one observation."""
    if isinstance(obs, dict):
        return np.asarray(obs[PIXELS]), np.asarray(obs[PROPRIO], np.float64)
    return np.asarray(obs), None


def save_policy(
    net: PixelPolicyNet, config: dict[str, Any], proprio_stats: dict[str, list], out: Path
) -> None:
    """Write a run folder: ``config.json`` and the weights (tensors only)."""
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / WEIGHTS, lambda tmp: torch.save(net.state_dict(), tmp))
    write_json_atomic(out / "config.json", {**config, "kind": KIND, "proprio": proprio_stats})


class PixelPolicy:
    """A pixel student's run as an ``obs -> action`` callable (deterministic).

    Args:
        run: The run folder.

    Attributes:
        config: Its ``config.json``.
        env_kwargs: What ``gymnasium.make`` needs for the observations it takes
            (``obs_type``, ``image_size``).
    """

    def __init__(self, run: str | Path) -> None:
        run = Path(run)
        self.config = json.loads((run / "config.json").read_text())
        c = self.config
        self.low, self.high = np.array(c["action_low"]), np.array(c["action_high"])
        self.net = PixelPolicyNet(c["image_size"], c["proprio_dim"], len(self.low),
                                  c["features"], tuple(c["hidden"]),
                                  c.get("encoder", "nature"))  # fmt: skip
        state = torch.load(run / WEIGHTS, map_location="cpu", weights_only=True)
        self.net.load_state_dict(state)
        self.net.eval()
        self.proprio_mean = np.array(c["proprio"]["mean"], np.float64)
        self.proprio_std = np.array(c["proprio"]["std"], np.float64)
        self.env_kwargs = {"obs_type": c["obs_type"], "image_size": c["image_size"]}

    def reset(self) -> None:
        """Start an episode (the policy keeps no memory)."""

    def __call__(self, obs: Any) -> NDArray[np.float64]:  # noqa: ANN401
        """The action for one observation."""
        image, proprio = split_observation(obs)
        images = torch.as_tensor(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]
        extra = None
        if proprio is not None:
            scaled = (proprio - self.proprio_mean) / self.proprio_std
            extra = torch.as_tensor(scaled, dtype=torch.float32)[None]
        with torch.no_grad():
            unit = self.net(images, extra)[0].numpy().astype(np.float64)
        return (self.high + self.low) / 2 + unit * (self.high - self.low) / 2
