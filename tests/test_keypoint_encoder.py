"""The spatial soft-argmax finds where each feature map peaks, to a fraction of a pixel."""

from __future__ import annotations

import doctest

import torch

from simreal.learning import keypoint_encoder
from simreal.learning.keypoint_encoder import KeypointEncoder, SpatialSoftmax


def test_each_map_gives_the_image_coordinates_of_its_peak() -> None:
    maps = torch.full((1, 2, 9, 17), -50.0)
    maps[0, 0, 0, 16] = 50.0  # top right
    maps[0, 1, 4, 4] = 50.0  # the middle row, a quarter across
    coordinates = SpatialSoftmax()(maps)[0]
    # x of both maps, then y of both: x = -1 left .. 1 right, y = -1 top .. 1 bottom.
    torch.testing.assert_close(coordinates, torch.tensor([1.0, -0.5, -1.0, 0.0]))


def test_between_two_pixels_the_keypoint_lies_between_them() -> None:
    maps = torch.full((1, 1, 5, 5), -50.0)
    maps[0, 0, 2, 1] = maps[0, 0, 2, 2] = 50.0
    torch.testing.assert_close(SpatialSoftmax()(maps)[0], torch.tensor([-0.25, 0.0]))


def test_the_encoder_moves_its_keypoint_with_a_bright_spot() -> None:
    torch.manual_seed(0)
    encoder = KeypointEncoder(image_size=40, keypoints=1)
    with torch.no_grad():  # one map that sums the red channel: a red-spot detector
        for conv in encoder.convolutions[::2]:
            conv.weight.zero_()
            conv.bias.zero_()
            conv.weight[:, 0, conv.kernel_size[0] // 2, conv.kernel_size[1] // 2] = 10.0
    images = torch.zeros(2, 3, 40, 40)
    images[0, 0, 8:12, 4:8] = 1.0  # upper left
    images[1, 0, 28:32, 30:34] = 1.0  # lower right
    x, y = encoder(images).T
    assert x[0] < -0.5 < 0.5 < x[1] and y[0] < -0.3 < 0.3 < y[1]


def test_the_doctest_runs() -> None:
    assert doctest.testmod(keypoint_encoder).failed == 0
