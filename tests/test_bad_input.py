"""Bad constructor arguments and missing files give clear errors."""

from __future__ import annotations

import gymnasium as gym
import pytest

from simreal.asset_paths import SEARCHED_DIRS, asset_path
from tests.conftest import NOMINAL_IDS


def test_unknown_task_gives_gymnasiums_error() -> None:
    with pytest.raises(gym.error.Error, match="NoSuchTask"):
        gym.make("simreal/NoSuchTask-v0")


@pytest.mark.parametrize("env_id", NOMINAL_IDS)
@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"frame_skip": -1}, "frame_skip"),
        ({"frame_skip": 0}, "frame_skip"),
        ({"frame_skip": 1.5}, "frame_skip"),
        ({"obs_type": "depth"}, "obs_type"),
        ({"image_size": 0}, "image_size"),
        ({"image_size": -84}, "image_size"),
        ({"render_mode": "human3d"}, "render_mode"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*render_mode")
def test_invalid_constructor_argument_names_it(env_id: str, kwargs: dict, argument: str) -> None:
    with pytest.raises(ValueError, match=argument) as excinfo:
        gym.make(env_id, **kwargs).reset(seed=0)
    if argument == "obs_type":
        assert "state" in str(excinfo.value) and "pixels" in str(excinfo.value)


def test_missing_asset_names_the_paths_searched() -> None:
    with pytest.raises(FileNotFoundError) as excinfo:
        asset_path("no_such_robot.xml")
    for directory in SEARCHED_DIRS:
        assert str(directory / "no_such_robot.xml") in str(excinfo.value)


def test_shipped_assets_are_found() -> None:
    for name in (
        "pendulum.xml",
        "cartpole.xml",
        "reach.xml",
        "push.xml",
        "textures/table_wood.png",
    ):
        assert asset_path(name).is_file()
