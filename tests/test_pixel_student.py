"""The pixel student: teacher labels on the student's own frames, save/load, resume, bad input."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym
import numpy as np
import pytest
import torch

import simreal  # noqa: F401  (registers the tasks)
from simreal.envs.registry import make_expert, task_for
from simreal.learning import pixel_student
from simreal.learning.image_augment import augment, random_shift
from simreal.learning.pixel_policy import PixelPolicy, PixelPolicyNet, save_policy
from simreal.learning.pixel_student import StudentConfig, fit, rollouts, train_student
from tests.conftest import run_cli

TASK = "simreal/ReachPixels-v0"
SIZE = 36  # the smallest image NatureCNN takes
TINY = dict(image_size=SIZE, rounds=1, episodes=1, epochs=1, features=16, hidden=(16,))


class RecordingTeacher:
    """The task's expert, remembering every state it labelled."""

    def __init__(self) -> None:
        self.expert = make_expert(TASK)
        self.states: list[np.ndarray] = []

    def reset(self) -> None:
        self.expert.reset()

    def __call__(self, state: np.ndarray) -> np.ndarray:
        self.states.append(np.array(state))
        return self.expert(state)


def test_dagger_labels_the_students_own_states_with_the_teachers_actions() -> None:
    config = StudentConfig(TASK, **TINY)
    env = gym.make(TASK, obs_type="pixels_proprio", image_size=SIZE)
    low, high = env.action_space.low, env.action_space.high
    teacher = RecordingTeacher()

    def student(obs: dict) -> np.ndarray:  # a student that always commands the range's low end
        return low.copy()

    data = rollouts(env, teacher, student, 0.0, config, seed=5, rng=np.random.default_rng(0))
    # The states labelled are those the student's own actions lead to ...
    visited = [env.reset(seed=5)[1]["state"]]
    while True:
        _, _, terminated, truncated, info = env.step(low.astype(np.float32))
        if terminated or truncated:
            break
        visited.append(info["state"])
    np.testing.assert_allclose(np.array(teacher.states), np.array(visited))
    # ... and each frame's label is the teacher's action there, scaled to [-1, 1].
    relabel = make_expert(TASK)
    relabel.reset()
    expected = [2 * (np.clip(relabel(s), low, high) - low) / (high - low) - 1 for s in visited]
    np.testing.assert_allclose(data["labels"], np.array(expected), atol=1e-6)
    assert data["images"].shape == (len(visited), 3, SIZE, SIZE)
    assert data["proprio"].shape == (len(visited), 6)
    # With beta = 1 the teacher drives: another trajectory, the expert's.
    teacher_driven = RecordingTeacher()
    rollouts(env, teacher_driven, student, 1.0, config, seed=5, rng=np.random.default_rng(0))
    assert not np.allclose(np.array(teacher_driven.states)[-1], np.array(visited)[-1])


def test_episode_steps_cuts_each_labelled_episode_and_starts_the_next() -> None:
    env = gym.make(TASK, obs_type="pixels_proprio", image_size=SIZE)
    teacher = RecordingTeacher()
    config = StudentConfig(TASK, **{**TINY, "episodes": 3, "episode_steps": 4})
    data = rollouts(env, teacher, None, 1.0, config, seed=9, rng=np.random.default_rng(0))
    assert data["labels"].shape[0] == 12  # 3 episodes of 4 frames, not of the task's 100
    # Every fourth frame is a reset: the first states of seeds 9, 10, 11 (targets differ).
    starts = [env.reset(seed=9 + k)[1]["state"] for k in range(3)]
    np.testing.assert_allclose(np.array(teacher.states)[::4], np.array(starts))
    with pytest.raises(ValueError, match="episode_steps must be >= 1"):
        StudentConfig(TASK, episode_steps=0)


def test_fitting_lowers_the_action_error_on_the_teachers_labels() -> None:
    config = StudentConfig(TASK, **{**TINY, "epochs": 30})
    env = gym.make(TASK, obs_type="pixels_proprio", image_size=SIZE)
    data = rollouts(env, make_expert(TASK), None, 1.0, config, 0, np.random.default_rng(0))
    torch.manual_seed(0)
    net = PixelPolicyNet(SIZE, 6, 3, features=16, hidden=(16,))
    stats = {"mean": data["proprio"].mean(0), "std": data["proprio"].std(0) + 1e-3}

    def error() -> float:
        proprio = torch.as_tensor((data["proprio"] - stats["mean"]) / stats["std"]).float()
        with torch.no_grad():
            out = net(torch.as_tensor(data["images"]), proprio)
        return float(((out - torch.as_tensor(data["labels"])) ** 2).mean())

    before = error()
    fit(net, data, stats, config, torch.Generator().manual_seed(0))
    assert error() < 0.5 * before


def test_augmentation_and_randomization_reach_the_training(tmp_path: Path) -> None:
    from simreal.randomization import load_spec

    config = StudentConfig(TASK, **{**TINY, "rounds": 0})
    env = gym.make(TASK, obs_type="pixels_proprio", image_size=SIZE)
    data = rollouts(env, make_expert(TASK), None, 1.0, config, 0, np.random.default_rng(0))
    stats = {"mean": np.zeros(6), "std": np.ones(6)}
    weights = {}
    for kind in ("none", "shift+jitter"):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            net = PixelPolicyNet(SIZE, 6, 3, features=16, hidden=(16,))
        fit(net, data, stats, StudentConfig(TASK, **{**TINY, "augment": kind}),
            torch.Generator().manual_seed(0))  # fmt: skip
        weights[kind] = net.head[0].weight.detach().clone()
    assert not torch.equal(weights["none"], weights["shift+jitter"])
    # The rollouts run under the given randomization: other frames from the same seeds.
    path = task_for(TASK).default_spec_path
    assert path.name == "dr_pixels.yaml"  # visual terms and dynamics terms
    spec = load_spec(path).to_dict()
    plain = train_student(config, tmp_path / "plain", progress=False)
    randomized = train_student(StudentConfig(TASK, dr=spec, **{**TINY, "rounds": 0}),
                               tmp_path / "dr", progress=False)  # fmt: skip
    a = np.load(plain.parent / "round_0.npz")["images"]
    b = np.load(randomized.parent / "round_0.npz")["images"]
    assert np.abs(a[0].astype(int) - b[0]).mean() > 5.0
    # Images alone: a student without proprioception trains and acts.
    alone = train_student(StudentConfig(TASK, proprio=False, **{**TINY, "rounds": 0}),
                          tmp_path / "alone", progress=False)  # fmt: skip
    student = PixelPolicy(alone)
    assert student.config["proprio_dim"] == 0 and student.env_kwargs["obs_type"] == "pixels"
    obs = gym.make(TASK, image_size=SIZE).reset(seed=0)[0]
    assert student(obs).shape == (3,)


@pytest.mark.parametrize("encoder", ["nature", "keypoints"])
def test_a_saved_student_acts_as_the_network_did(encoder: str) -> None:
    torch.manual_seed(1)
    net = PixelPolicyNet(SIZE, 6, 3, features=16, hidden=(16,), encoder=encoder).eval()
    with torch.no_grad():  # a temperature away from its initial value must be saved too
        for parameter in net.parameters():
            parameter.add_(0.01)
    stats = {"mean": [0.1] * 6, "std": [2.0] * 6}
    config = {"image_size": SIZE, "proprio_dim": 6, "features": 16, "hidden": [16],
              "action_low": [-1.0, -2.0, -3.0], "action_high": [1.0, 2.0, 3.0],
              "obs_type": "pixels_proprio", "encoder": encoder}  # fmt: skip
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        save_policy(net, config, stats, Path(folder))
        loaded = PixelPolicy(folder)
    rng = np.random.default_rng(0)
    for _ in range(3):
        obs = {"pixels": rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8),
               "proprio": rng.normal(size=6)}  # fmt: skip
        with torch.no_grad():
            image = torch.as_tensor(obs["pixels"].transpose(2, 0, 1).copy())[None]
            proprio = torch.as_tensor((obs["proprio"] - 0.1) / 2.0).float()[None]
            unit = net(image, proprio)[0].numpy()
        np.testing.assert_allclose(loaded(obs), unit * np.array([1.0, 2.0, 3.0]), rtol=1e-5)


def test_augmentation_shifts_and_jitters_and_repeats_with_the_seed() -> None:
    images = torch.randint(0, 256, (4, 3, 20, 20), dtype=torch.uint8)
    shifted = random_shift(images, 2, torch.Generator().manual_seed(0))
    again = random_shift(images, 2, torch.Generator().manual_seed(0))
    assert torch.equal(shifted, again) and not torch.equal(shifted, images)
    # A shift moves content: the centre of every image is found, shifted, in the original.
    for original, moved in zip(images, shifted, strict=True):
        centre = moved[:, 4:16, 4:16]
        found = any(
            torch.equal(centre, original[:, 4 + dy : 16 + dy, 4 + dx : 16 + dx])
            for dy in range(-2, 3)
            for dx in range(-2, 3)
        )
        assert found
    jittered = augment(images, "jitter", torch.Generator().manual_seed(0))
    assert jittered.dtype == torch.uint8 and not torch.equal(jittered, images)
    with pytest.raises(ValueError, match="augment must be one of"):
        augment(images, "blur", torch.Generator())


def test_an_interrupted_student_resumes_to_the_same_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = StudentConfig(TASK, **TINY)
    whole = train_student(config, tmp_path / "whole", progress=False)
    original = pixel_student.fit
    calls = []

    def interrupted(*args: object, **kwargs: object) -> float:
        calls.append(1)
        if len(calls) == 2:  # Ctrl-C while round 1 trains
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(pixel_student, "fit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_student(config, tmp_path / "cut", progress=False)
    assert (tmp_path / "cut" / "round_0").is_dir() and not (tmp_path / "cut" / "policy").exists()
    kept = json.loads((tmp_path / "cut" / "round_0.json").read_text())
    monkeypatch.setattr(pixel_student, "fit", original)
    resumed = train_student(config, tmp_path / "cut", progress=False)
    a = torch.load(whole / "policy.pt", weights_only=True)
    b = torch.load(resumed / "policy.pt", weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)
    rounds = json.loads((tmp_path / "cut" / "student.json").read_text())["rounds"]
    first = json.loads((tmp_path / "whole" / "student.json").read_text())["rounds"]
    assert [r["round"] for r in rounds] == [0, 1]
    assert rounds[0] == kept  # round 0 was kept as it was, not redone
    assert [r["loss"] for r in rounds] == [r["loss"] for r in first]
    # Other settings into the same folder are refused.
    with pytest.raises(ValueError, match="holds a student of other settings"):
        train_student(StudentConfig(TASK, **{**TINY, "epochs": 2}), tmp_path / "cut")


def test_cli_dagger_trains_a_student_that_simreal_eval_runs_on_the_pixel_proxy(
    tmp_path: Path,
) -> None:
    out = tmp_path / "student"
    done = run_cli("dagger", "--task", TASK, "--dr", "default", "--rounds", "1", "--episodes",
                   "1", "--episode-steps", "7", "--epochs", "1", "--image-size", str(SIZE),
                   "--augment", "shift", "--encoder", "keypoints", "--visual-every", "3",
                   "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "round 1: beta 0.5, 14 labelled frames" in done.stdout
    rounds = json.loads((out / "student.json").read_text())["rounds"]
    assert [r["frames_rendered"] for r in rounds] == [7, 7]
    assert all(r["rollout_seconds"] > 0 and r["fit_seconds"] >= 0 for r in rounds)
    settings = json.loads((out / "settings.json").read_text())
    assert settings["dr"]["terms"] and settings["augment"] == "shift"
    assert settings["encoder"] == "keypoints"
    schedules = {t["param"]: t.get("every_steps") for t in settings["dr"]["terms"]}
    assert schedules["light[key_light].pos"] == 3 and schedules["body[upper_arm].mass"] is None
    weights = torch.load(out / "policy" / "policy.pt", weights_only=True)
    assert "encoder.softmax.log_temperature" in weights
    done = run_cli("eval", "--policy", str(out / "policy"), "--on", "simreal/ReachPixelsReal-v0",
                   "--episodes", "1", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ReachPixelsReal-v0 | 1 |" in done.stdout
    # A pixel student on a state task, and a state policy on a pixel task: one sentence each.
    done = run_cli("eval", "--policy", str(out / "policy"), "--on", "simreal/Reach-v0",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "acts on 36-pixel camera images; simreal/Reach-v0 gives state observations" in (
        done.stderr
    )


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ("simreal/Reach-v0", "--task: simreal/Reach-v0 gives state observations"),
        ("simreal/ReachPixelsReal-v0", "--task: simreal/ReachPixelsReal-v0 is a real proxy"),
        ("Hopper-v5", "--task: Hopper-v5 is not a simreal task, so it has no expert"),
    ],
)
def test_cli_dagger_refuses_tasks_it_cannot_teach_on(
    tmp_path: Path, task: str, message: str
) -> None:
    done = run_cli("dagger", "--task", task, "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists()


def test_cli_dagger_refuses_visual_every_without_a_spec(tmp_path: Path) -> None:
    done = run_cli("dagger", "--task", TASK, "--visual-every", "1", "--out",
                   str(tmp_path / "x"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--visual-every redraws the visual terms of a --dr spec; give --dr too." in done.stderr
    assert not (tmp_path / "x").exists()
    # A spec of dynamics alone has nothing to redraw.
    (tmp_path / "masses.yaml").write_text(
        "terms:\n  - {param: 'body[forearm].mass', distribution: uniform, low: 0.9, high: 1.1}\n"
    )
    done = run_cli("dagger", "--task", TASK, "--dr", "masses.yaml", "--visual-every", "1",
                   "--out", str(tmp_path / "x"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--visual-every: the --dr spec masses.yaml randomizes nothing a camera sees" in (
        done.stderr
    )
    assert not (tmp_path / "x").exists()


def test_a_state_policy_on_a_pixel_task_is_refused_in_one_sentence(tmp_path: Path) -> None:
    from simreal.learning.bc import BCConfig, train_bc
    from simreal.learning.collect import collect

    demos = collect("simreal/Reach-v0", "expert", episodes=1, out=tmp_path / "d.parquet")
    run = train_bc(BCConfig("simreal/Reach-v0", "gaussian", epochs=1, hidden=(8,)), demos,
                   tmp_path / "bc", progress=False)  # fmt: skip
    done = run_cli("eval", "--policy", str(run), "--on", TASK, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"acts on state observations (15,); {TASK} gives camera images" in done.stderr
    shutil.rmtree(run)
