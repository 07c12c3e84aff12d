"""A keypoint image encoder: convolutions, then a spatial soft-argmax per feature map.

Levine, Finn et al. (2016, "End-to-end training of deep visuomotor policies") end the
convolutions with a *spatial softmax*: each of K feature maps becomes a probability
over pixels, and its expected image coordinates ``(x, y)`` in [-1, 1] are the feature —
a learned keypoint. robomimic and Diffusion Policy keep it for manipulation from pixels.
A policy that must put a fingertip on a target a few pixels wide needs where things
are, to a fraction of a pixel; NatureCNN's first stride of 4 and its flattening spend
that precision, and its linear layer can key on anything in the frame (a lighting or a
texture) instead. SB3 and torch ship no spatial softmax, hence this module.

>>> import torch
>>> encoder = KeypointEncoder(image_size=64, keypoints=8)
>>> encoder(torch.zeros(2, 3, 64, 64)).shape
torch.Size([2, 16])
"""

from __future__ import annotations

import torch
from torch import nn


class SpatialSoftmax(nn.Module):
    """Expected ``(x, y)`` in [-1, 1] of each channel's softmax over its pixels.

    The softmax temperature is learned, starting at 1.
    """

    def __init__(self) -> None:
        super().__init__()
        self.log_temperature = nn.Parameter(torch.zeros(()))

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """``(N, K, H, W)`` maps to ``(N, 2K)`` coordinates (x of every map, then y)."""
        n, k, h, w = maps.shape
        weights = torch.softmax(maps.reshape(n, k, h * w) / self.log_temperature.exp(), dim=-1)
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h, device=maps.device),
                                torch.linspace(-1, 1, w, device=maps.device),
                                indexing="ij")  # fmt: skip
        x = weights @ xs.reshape(h * w, 1)
        y = weights @ ys.reshape(h * w, 1)
        return torch.cat([x[..., 0], y[..., 0]], dim=1)


class KeypointEncoder(nn.Module):
    """Three convolutions at half the image's resolution, then :class:`SpatialSoftmax`.

    Args:
        image_size: Side of the square RGB image (inputs are floats in [0, 1]).
        keypoints: Feature maps, hence keypoints; the output has ``2 * keypoints`` features.
        channels: Channels of the hidden convolutions.
    """

    def __init__(self, image_size: int, keypoints: int = 16, channels: int = 16) -> None:
        super().__init__()
        if image_size < 8:
            raise ValueError(f"image_size must be >= 8, got {image_size}.")
        self.convolutions = nn.Sequential(
            nn.Conv2d(3, channels, kernel_size=5, stride=2, padding=2),
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, keypoints, kernel_size=3, padding=1),
        )
        self.softmax = SpatialSoftmax()
        self.features_dim = 2 * keypoints

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` images in [0, 1] to ``(N, 2 * keypoints)`` coordinates."""
        return self.softmax(self.convolutions(images))
