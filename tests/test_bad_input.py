"""Bad constructor arguments and missing files give clear errors."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

from simreal.asset_paths import SEARCHED_DIRS, asset_path
from tests.conftest import NOMINAL_IDS, run_cli


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


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["train", "--task", "simreal/Reach-v0", "--steps", "0"], "--steps"),
        (["train", "--task", "simreal/Reach-v0", "--envs", "0"], "--envs"),
        (["train", "--task", "simreal/Reach-v0", "--seed", "-1"], "--seed"),
        (["train", "--task", "simreal/Reach-v0", "--checkpoint-every", "0"], "--checkpoint-every"),
        (["eval", "--policy", "expert", "--on", "simreal/Reach-v0", "--seed", "-5"], "--seed"),
        (["collect", "--task", "simreal/Reach-v0", "--seed", "-1"], "--seed"),
        (["bc", "--task", "simreal/Reach-v0", "--data", "d.npz", "--epochs", "0"], "--epochs"),
        (["bc", "--task", "simreal/Reach-v0", "--data", "d.npz", "--bins", "1"], "--bins"),
        (["record", "--task", "simreal/Reach-v0", "--seed", "-1"], "--seed"),
        (["record", "--task", "simreal/Reach-v0", "--duration", "nan"], "--duration"),
        (["record", "--task", "simreal/Reach-v0", "--dt", "inf"], "--dt"),
        (["record", "--task", "simreal/Reach-v0", "--noise", "inf"], "--noise"),
        (["gap", "--tasks", "InvertedPendulum-v5"], "simreal gap: error: --tasks"),
    ],
)
def test_bad_numbers_are_one_sentence_before_any_work(
    args: list[str], flag: str, tmp_path: Path
) -> None:
    out = tmp_path / (
        "log.csv" if args[0] == "record" else "out.npz" if args[0] == "collect" else "out"
    )
    result = run_cli(*args, "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert flag in result.stderr.strip().splitlines()[-1]
    assert not out.exists()
