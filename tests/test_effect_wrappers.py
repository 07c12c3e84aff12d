"""The effect wrappers (latency, observation/action noise, random pushes), checked with numbers."""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

import simreal  # noqa: F401  (registers the tasks)
from simreal.wrappers.latency import ActionDelay, ObservationDelay
from simreal.wrappers.noise import ActionNoise, ObservationNoise
from simreal.wrappers.pushes import RandomPushes
from simreal.wrappers.randomizable import randomizable_wrappers

# -- helpers ----------------------------------------------------------------------


class Recorder(gym.Wrapper):
    """Placed under a wrapper: records what the inner env receives and returns."""

    def __init__(self, env: gym.Env, body: str | None = None) -> None:
        super().__init__(env)
        self.actions: list[np.ndarray] = []
        self.observations: list[np.ndarray] = []
        self.forces: list[np.ndarray] = []
        self.body_id = None if body is None else env.unwrapped.model.body(body).id

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        self.actions, self.observations, self.forces = [], [np.array(obs, copy=True)], []
        return obs, info

    def step(self, action):
        self.actions.append(np.array(action, copy=True))
        if self.body_id is not None:
            self.forces.append(self.env.unwrapped.data.xfrc_applied[self.body_id].copy())
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.observations.append(np.array(obs, copy=True))
        return obs, reward, terminated, truncated, info


class CounterEnv(gym.Env):
    """A tiny non-MuJoCo env without ``dt``: the observation is ``step * scale + offset``."""

    def __init__(
        self,
        obs_shape: tuple[int, ...] = (4,),
        obs_dtype: Any = np.float64,
        low: Any = -1.0,
        high: Any = 1.0,
        action_dim: int = 2,
    ) -> None:
        bound = 255 if np.issubdtype(obs_dtype, np.integer) else np.inf
        lower = 0 if np.issubdtype(obs_dtype, np.integer) else -np.inf
        self.observation_space = spaces.Box(lower, bound, shape=obs_shape, dtype=obs_dtype)
        self.action_space = spaces.Box(
            np.broadcast_to(np.asarray(low, dtype=np.float32), (action_dim,)),
            np.broadcast_to(np.asarray(high, dtype=np.float32), (action_dim,)),
            dtype=np.float32,
        )
        self.offset = np.arange(int(np.prod(obs_shape))).reshape(obs_shape) % 7
        self.t = 0

    def _obs(self) -> np.ndarray:
        return (self.offset + 3 * self.t).astype(self.observation_space.dtype)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        return self._obs(), 0.0, False, False, {}


def command_sequence(n: int, space: spaces.Box, seed: int = 7) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(space.low, space.high).astype(space.dtype) for _ in range(n)]


def run_commands(env: gym.Env, commands: list[np.ndarray], seed: int = 0) -> list[Any]:
    outputs = [env.reset(seed=seed)[0]]
    for action in commands:
        outputs.append(env.step(action)[0])
    return outputs


# -- ActionDelay -----------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 3])
def test_whole_step_action_delay_gives_the_inner_env_the_command_of_k_steps_ago(k: int) -> None:
    recorder = Recorder(gym.make("simreal/PendulumSwingup-v0"))
    dt = recorder.unwrapped.dt
    env = ActionDelay(recorder, delay_s=k * dt)
    commands = command_sequence(20, env.action_space)
    run_commands(env, commands)
    hold = np.zeros(1)  # the pendulum's motor command after reset
    for t, applied in enumerate(recorder.actions):
        expected = commands[t - k] if t >= k else hold
        np.testing.assert_array_equal(applied, expected)


@pytest.mark.parametrize(("steps", "newer_lag", "f"), [(1.5, 1, 0.5), (2.25, 2, 0.25)])
def test_fractional_action_delay_applies_the_time_average_of_the_delayed_commands(
    steps: float, newer_lag: int, f: float
) -> None:
    recorder = Recorder(gym.make("HalfCheetah-v5"))
    env = ActionDelay(recorder, delay_s=steps * recorder.unwrapped.dt)
    commands = command_sequence(15, env.action_space)
    run_commands(env, commands)
    hold = np.zeros(6)

    def command(t: int) -> np.ndarray:
        return commands[t].astype(np.float64) if t >= 0 else hold

    for t, applied in enumerate(recorder.actions):
        expected = (1 - f) * command(t - newer_lag) + f * command(t - newer_lag - 1)
        np.testing.assert_allclose(applied, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [2, 5])
def test_a_delay_of_k_steps_shifts_the_step_response_by_k_steps(k: int) -> None:
    def trajectory(delay_steps: int) -> np.ndarray:
        env = ActionDelay(gym.make("simreal/PendulumSwingup-v0"))
        env.set_param("latency.action", delay_steps * env.dt)
        env.reset(seed=0)
        # Hanging straight down at rest: an equilibrium, so nothing moves until the input.
        env.unwrapped.set_state(np.array([np.pi]), np.array([0.0]))
        observations = []
        for t in range(40):
            action = np.array([1.0 if t >= 10 else 0.0], dtype=np.float32)
            observations.append(env.step(action)[0])
        return np.array(observations)

    undelayed, delayed = trajectory(0), trajectory(k)
    rest = undelayed[0]
    assert np.abs(undelayed[10, 2]) > 1e-3, "the step input must move the pendulum at once"
    np.testing.assert_allclose(delayed[: 10 + k], np.tile(rest, (10 + k, 1)), atol=1e-8)
    assert np.abs(delayed[10 + k, 2]) > 1e-3
    np.testing.assert_allclose(delayed[k:], undelayed[: len(undelayed) - k], atol=1e-9)


def test_hold_command_is_the_position_servos_start_pose_not_zeros() -> None:
    recorder = Recorder(gym.make("simreal/Reach-v0"))
    k = 3
    env = ActionDelay(recorder, delay_s=k * recorder.unwrapped.dt)
    env.reset(seed=4)
    start_pose = recorder.unwrapped.data.ctrl.copy()
    assert np.abs(start_pose).min() > 1e-3  # the rest pose has no zero joint target
    commands = command_sequence(6, env.action_space)
    for action in commands:
        env.step(action)
    for t in range(k):
        np.testing.assert_array_equal(recorder.actions[t], start_pose)
    np.testing.assert_array_equal(recorder.actions[k], commands[0])
    # A new episode holds the new start pose.
    env.reset()
    new_pose = recorder.unwrapped.data.ctrl.copy()
    assert not np.allclose(new_pose, start_pose)
    env.step(commands[0])
    np.testing.assert_array_equal(recorder.actions[0], new_pose)


def test_initial_action_overrides_the_hold_command() -> None:
    recorder = Recorder(gym.make("InvertedPendulum-v5"))
    env = ActionDelay(recorder, delay_s=2 * recorder.unwrapped.dt, initial_action=[0.7])
    env.reset(seed=0)
    env.step(np.array([0.1], dtype=np.float32))
    env.step(np.array([0.2], dtype=np.float32))
    env.step(np.array([0.3], dtype=np.float32))
    np.testing.assert_allclose(np.concatenate(recorder.actions), [0.7, 0.7, np.float32(0.1)])


def test_action_delay_set_param_takes_effect_from_the_next_reset() -> None:
    recorder = Recorder(gym.make("simreal/PendulumSwingup-v0"))
    env = ActionDelay(recorder, delay_s=0.0)
    _, info = env.reset(seed=0)
    assert info["latency.action"] == 0.0
    env.set_param("latency.action", 2 * env.dt)
    assert env.get_param("latency.action") == pytest.approx(2 * env.dt)
    commands = command_sequence(4, env.action_space)
    _, _, _, _, info = env.step(commands[0])
    np.testing.assert_array_equal(recorder.actions[0], commands[0])  # still undelayed
    assert info["latency.action"] == 0.0
    _, info = env.reset(seed=0)
    assert info["latency.action"] == pytest.approx(2 * env.dt)
    for action in commands:
        _, _, _, _, info = env.step(action)
    assert info["latency.action"] == pytest.approx(2 * env.dt)
    np.testing.assert_array_equal(recorder.actions[2], commands[0])
    np.testing.assert_array_equal(recorder.actions[1], np.zeros(1))


def test_action_delay_needs_dt_for_envs_without_one() -> None:
    with pytest.raises(ValueError, match="dt"):
        ActionDelay(CounterEnv(), delay_s=0.1)
    with pytest.raises(ValueError, match="dt"):
        ActionDelay(gym.make("InvertedPendulum-v5"), delay_s=0.1, dt=0.5)  # disagrees
    recorder = Recorder(CounterEnv())
    env = ActionDelay(recorder, delay_s=0.2, dt=0.1)
    commands = command_sequence(5, env.action_space)
    run_commands(env, commands)
    np.testing.assert_array_equal(recorder.actions[4], commands[2])


# -- ObservationDelay ------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 4])
def test_whole_step_observation_delay_returns_the_observation_of_k_steps_ago(k: int) -> None:
    recorder = Recorder(gym.make("simreal/PendulumSwingup-v0"))
    env = ObservationDelay(recorder, delay_s=k * recorder.unwrapped.dt)
    commands = command_sequence(20, env.action_space)
    env_obs = [env.reset(seed=1)[0]]
    states = []
    for action in commands:
        obs, _, _, _, info = env.step(action)
        env_obs.append(obs)
        states.append(info["state"])
    clean = recorder.observations
    for t, obs in enumerate(env_obs):
        np.testing.assert_array_equal(obs, clean[max(t - k, 0)])
    # info["state"] is the current truth, not delayed.
    for t, state in enumerate(states, start=1):
        np.testing.assert_array_equal(state, clean[t])


def test_fractional_observation_delay_interpolates_float_observations() -> None:
    recorder = Recorder(gym.make("simreal/PendulumSwingup-v0"))
    env = ObservationDelay(recorder, delay_s=1.5 * recorder.unwrapped.dt)
    env_obs = run_commands(env, command_sequence(12, env.action_space))
    clean = recorder.observations
    for t, obs in enumerate(env_obs):
        expected = 0.5 * clean[max(t - 1, 0)] + 0.5 * clean[max(t - 2, 0)]
        np.testing.assert_allclose(obs, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("steps", "lag"), [(1.3, 1), (1.5, 2), (1.7, 2)])
def test_image_observations_are_never_blended(steps: float, lag: int) -> None:
    recorder = Recorder(gym.make("simreal/ReachPixels-v0", image_size=32))
    env = ObservationDelay(recorder, delay_s=steps * recorder.unwrapped.dt)
    env_obs = run_commands(env, command_sequence(6, env.action_space))
    clean = recorder.observations
    assert any(np.any(a != b) for a, b in zip(clean, clean[1:], strict=False)), "frames must change"
    for t, obs in enumerate(env_obs):
        assert obs.dtype == np.uint8
        np.testing.assert_array_equal(obs, clean[max(t - lag, 0)])


def test_integer_observation_delay_rounds_to_the_nearest_stored_observation() -> None:
    recorder = Recorder(CounterEnv(obs_shape=(3, 3), obs_dtype=np.uint8))
    env = ObservationDelay(recorder, delay_s=0.26, dt=0.1)  # 2.6 steps -> 3 steps ago
    env_obs = run_commands(env, command_sequence(8, env.action_space))
    for t, obs in enumerate(env_obs):
        np.testing.assert_array_equal(obs, recorder.observations[max(t - 3, 0)])


# -- ObservationNoise ------------------------------------------------------------


def noisy_minus_clean(env: ObservationNoise, recorder: Recorder, steps: int, seed: int | None):
    obs = [env.reset(seed=seed)[0]]
    action = np.zeros(env.action_space.shape, dtype=env.action_space.dtype)
    for _ in range(steps):
        obs.append(env.step(action)[0])
    return np.array(obs) - np.array(recorder.observations)


def test_observation_noise_is_reproducible_from_the_reset_seed() -> None:
    def noise_of(seed: int) -> tuple[np.ndarray, np.ndarray]:
        recorder = Recorder(gym.make("simreal/PendulumSwingup-v0"))
        env = ObservationNoise(recorder, white_std=0.05, bias_std=0.1)
        first = noisy_minus_clean(env, recorder, 10, seed)
        second = noisy_minus_clean(env, recorder, 10, None)  # continues the stream
        return first, second

    a_first, a_second = noise_of(3)
    b_first, b_second = noise_of(3)
    c_first, _ = noise_of(4)
    np.testing.assert_array_equal(a_first, b_first)
    np.testing.assert_array_equal(a_second, b_second)
    assert np.abs(a_first - c_first).min() > 0
    assert np.abs(a_first - a_second).min() > 0


def test_observation_noise_bias_is_per_episode_and_white_noise_per_step() -> None:
    white_std, bias_std = 0.1, 0.5
    recorder = Recorder(CounterEnv(obs_shape=(4,)))
    env = ObservationNoise(recorder, white_std=white_std, bias_std=bias_std)
    noise = noisy_minus_clean(env, recorder, 2000, seed=11)
    bias = env.bias
    assert np.abs(bias).max() > 0.05
    # The mean over one episode is that episode's bias (standard error 0.1 / sqrt(2001)).
    np.testing.assert_allclose(noise.mean(axis=0), bias, atol=4 * white_std / np.sqrt(2001))
    white = noise - bias
    np.testing.assert_allclose(white.std(axis=0), white_std, rtol=0.10)

    biases = []
    for episode in range(300):
        env.reset(seed=1000 + episode)
        biases.append(env.bias)
    biases = np.array(biases)
    np.testing.assert_allclose(biases.std(axis=0), bias_std, rtol=0.15)
    assert np.abs(biases.mean(axis=0)).max() < 4 * bias_std / np.sqrt(300)


def test_observation_noise_per_dimension_std_and_set_param() -> None:
    recorder = Recorder(CounterEnv(obs_shape=(3,)))
    env = ObservationNoise(recorder, white_std=[0.0, 0.1, 1.0])
    noise = noisy_minus_clean(env, recorder, 1500, seed=2)
    np.testing.assert_array_equal(noise[:, 0], 0.0)
    np.testing.assert_allclose(noise[:, 1:].std(axis=0), [0.1, 1.0], rtol=0.10)
    with pytest.raises(ValueError, match="per-dimension"):
        env.get_param("noise.observation")
    env.set_param("noise.observation", 0.2)  # a scalar replaces the array at once
    _, _, _, _, info = env.step(np.zeros(2, dtype=np.float32))
    assert info["noise.observation"] == 0.2 and env.get_param("noise.observation") == 0.2
    noise = noisy_minus_clean(env, recorder, 1500, seed=2)
    np.testing.assert_allclose(noise.std(axis=0), 0.2, rtol=0.10)


def test_observation_noise_bias_std_takes_effect_at_reset_and_is_reported() -> None:
    env = ObservationNoise(gym.make("InvertedPendulum-v5"), white_std=0.01, bias_std=0.0)
    _, info = env.reset(seed=0)
    assert (info["noise.observation"], info["bias.observation"]) == (0.01, 0.0)
    env.set_param("bias.observation", 0.3)
    _, _, _, _, info = env.step(np.zeros(1, dtype=np.float32))
    assert info["bias.observation"] == 0.0 and np.all(env.bias == 0.0)
    _, info = env.reset()
    assert info["bias.observation"] == 0.3 and np.abs(env.bias).min() > 0


def test_observation_noise_rejects_image_observations() -> None:
    with pytest.raises(ValueError, match="visual randomization"):
        ObservationNoise(gym.make("simreal/ReachPixels-v0"), white_std=0.1)


# -- ActionNoise ---------------------------------------------------------------


def test_action_noise_std_is_relative_to_the_half_range_and_actions_stay_in_bounds() -> None:
    low, high = np.array([-1.0, 0.0, -5.0]), np.array([1.0, 4.0, 5.0])
    recorder = Recorder(CounterEnv(low=low, high=high, action_dim=3))
    env = ActionNoise(recorder, std=0.1)
    env.reset(seed=5)
    middle = ((low + high) / 2).astype(np.float32)
    for _ in range(3000):
        env.step(middle)
    applied = np.array(recorder.actions, dtype=np.float64)
    np.testing.assert_allclose(applied.std(axis=0), 0.1 * (high - low) / 2, rtol=0.10)
    np.testing.assert_allclose(applied.mean(axis=0), middle, atol=4 * 0.1 * 5 / np.sqrt(3000))

    env.set_param("noise.action", 1.0)
    _, info = env.reset(seed=6)
    assert info["noise.action"] == 1.0
    for _ in range(500):
        env.step(high.astype(np.float32))
    applied = np.array(recorder.actions)
    assert np.all(applied >= low) and np.all(applied <= high)
    assert np.mean(applied == high) > 0.3  # pushed past the bound about half the time
    assert np.mean(applied < high) > 0.3


def test_action_noise_is_reproducible_from_the_reset_seed() -> None:
    def applied(seed: int) -> np.ndarray:
        recorder = Recorder(gym.make("InvertedPendulum-v5"))
        env = ActionNoise(recorder, std=0.2)
        env.reset(seed=seed)
        for _ in range(5):
            env.step(np.zeros(1, dtype=np.float32))
        return np.array(recorder.actions)

    np.testing.assert_array_equal(applied(1), applied(1))
    assert np.abs(applied(1) - applied(2)).min() > 0


# -- RandomPushes ----------------------------------------------------------------


def block_path(force: float, seed: int = 0, steps: int = 40) -> np.ndarray:
    env = RandomPushes(gym.make("simreal/Push-v0"), body="block", force=force, probability=1.0)
    _, info = env.reset(seed=seed)
    hold = info["state"][:2].astype(np.float32)  # keep the pusher where it starts
    path = []
    for _ in range(steps):
        _, _, _, _, info = env.step(hold)
        path.append(info["state"][4:6])
    return np.array(path)


def test_pushes_move_the_block_and_zero_force_does_not() -> None:
    still, pushed = block_path(0.0), block_path(3.0)
    assert np.abs(still - still[0]).max() < 1e-3
    assert np.linalg.norm(pushed - still, axis=1).max() > 0.01


def test_xfrc_applied_is_set_exactly_during_pushes() -> None:
    force, duration = 0.5, 3
    recorder = Recorder(gym.make("simreal/Push-v0"), body="block")
    env = RandomPushes(recorder, "block", force=force, probability=0.3, duration_steps=duration)
    body_id = recorder.unwrapped.model.body("block").id
    _, info = env.reset(seed=8)
    assert info["push.active"] is False and info["push.force"] == force
    assert np.all(recorder.unwrapped.data.xfrc_applied[body_id] == 0)
    hold = info["state"][:2].astype(np.float32)
    active = []
    for _ in range(120):
        _, _, _, _, info = env.step(hold)
        active.append(info["push.active"])
    forces = np.array(recorder.forces)
    active = np.array(active)
    assert 10 < active.sum() < 110
    np.testing.assert_array_equal(np.any(forces != 0, axis=1), active)
    np.testing.assert_allclose(np.linalg.norm(forces[active, :3], axis=1), force)
    assert np.all(forces[:, 2:] == 0)  # horizontal, no torque
    # Pushes come in whole runs of duration_steps steps with a constant direction.
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], active.astype(int), [0]]))))[::2]
    assert np.all(runs % duration == 0)
    directions = {tuple(np.round(f[:2], 9)) for f in forces[active]}
    assert len(directions) >= 3
    env.reset()
    assert np.all(recorder.unwrapped.data.xfrc_applied[body_id] == 0)


def test_push_directions_are_uniform_and_reproducible() -> None:
    def directions(seed: int) -> np.ndarray:
        recorder = Recorder(gym.make("simreal/Push-v0"), body="block")
        env = RandomPushes(recorder, "block", force=1.0, probability=1.0, duration_steps=1)
        _, info = env.reset(seed=seed)
        for _ in range(200):
            env.step(info["state"][:2].astype(np.float32))
        return np.array(recorder.forces)[:, :2]

    first = directions(3)
    np.testing.assert_array_equal(first, directions(3))
    assert np.abs(first - directions(4)).max() > 0.1
    assert np.linalg.norm(first.mean(axis=0)) < 0.2  # resultant of 200 unit vectors
    angles = np.arctan2(first[:, 1], first[:, 0])
    assert np.all(np.histogram(angles, bins=4, range=(-np.pi, np.pi))[0] > 25)


def test_unknown_body_lists_close_matches() -> None:
    with pytest.raises(ValueError, match="block"):
        RandomPushes(gym.make("simreal/Push-v0"), body="blok", force=1.0)
    with pytest.raises(ValueError, match="pole"):
        RandomPushes(gym.make("InvertedPendulum-v5"), body="poel")


def test_pushes_need_a_mujoco_env() -> None:
    with pytest.raises(ValueError, match="MuJoCo"):
        RandomPushes(CounterEnv(), body="block")


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda env: ActionDelay(env, delay_s=-0.01), "delay_s"),
        (lambda env: ObservationDelay(env, delay_s=-0.01), "delay_s"),
        (lambda env: ActionDelay(env, delay_s=float("nan")), "delay_s"),
        (lambda env: ActionDelay(env, initial_action=[0.0, 1.0]), "initial_action"),
        (lambda env: ObservationNoise(env, white_std=-0.1), "white_std"),
        (lambda env: ObservationNoise(env, bias_std=-0.1), "bias_std"),
        (lambda env: ObservationNoise(env, bias_std=[0.1, 0.2]), "bias_std"),
        (lambda env: ActionNoise(env, std=-0.1), "std"),
        (lambda env: RandomPushes(env, "pole", force=-1.0), "force"),
        (lambda env: RandomPushes(env, "pole", probability=1.5), "probability"),
        (lambda env: RandomPushes(env, "pole", duration_steps=0), "duration_steps"),
        (lambda env: RandomPushes(env, "world"), "world"),
        (lambda env: ActionDelay(env, delay_s=41.0), "latency.action"),
        (lambda env: ObservationDelay(env, delay_s=41.0), "latency.observation"),
    ],
)
def test_bad_constructor_arguments_name_the_argument(make, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        make(gym.make("InvertedPendulum-v5"))  # 1000 steps of 0.04 s: a 40 s episode


@pytest.mark.parametrize(
    ("make", "param_id", "bad"),
    [
        (lambda env: ActionDelay(env), "latency.action", -0.1),
        (lambda env: ActionDelay(env), "latency.action", 40.1),  # longer than the episode
        (lambda env: ObservationDelay(env), "latency.observation", -0.1),
        (lambda env: ObservationDelay(env), "latency.observation", 50.0),
        (lambda env: ObservationNoise(env), "noise.observation", -0.1),
        (lambda env: ObservationNoise(env), "bias.observation", -0.1),
        (lambda env: ActionNoise(env), "noise.action", -1.0),
        (lambda env: RandomPushes(env, "pole"), "push.force", -1.0),
    ],
)
def test_set_param_rejects_bad_values(make, param_id: str, bad: float) -> None:
    wrapper = make(gym.make("InvertedPendulum-v5"))
    before = wrapper.get_param(param_id)
    with pytest.raises(ValueError, match=param_id.replace(".", r"\.")):
        wrapper.set_param(param_id, bad)
    assert wrapper.get_param(param_id) == before  # the rejected value was not kept


def test_action_delay_rejects_a_delay_longer_than_the_episode_but_not_an_equal_one() -> None:
    env = gym.make("simreal/Reach-v0")  # 100 steps of 0.02 s
    ActionDelay(env, delay_s=2.0)
    with pytest.raises(ValueError, match="latency.action"):
        ActionDelay(env, delay_s=2.05)


# -- API conformance -----------------------------------------------------------------

WRAPPERS = {
    "ActionDelay": lambda env: ActionDelay(env, delay_s=1.5 * env.unwrapped.dt),
    "ObservationDelay": lambda env: ObservationDelay(env, delay_s=2.5 * env.unwrapped.dt),
    "ObservationNoise": lambda env: ObservationNoise(env, white_std=0.01, bias_std=0.02),
    "ActionNoise": lambda env: ActionNoise(env, std=0.1),
    "RandomPushes": lambda env: RandomPushes(env, "pole", force=1.0, probability=0.5),
}


@pytest.mark.parametrize("name", list(WRAPPERS))
def test_wrapper_passes_gymnasium_env_checker(name: str) -> None:
    env = WRAPPERS[name](gym.make("InvertedPendulum-v5"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)


def test_all_wrappers_stack_on_half_cheetah_and_report_their_settings() -> None:
    def run(seed: int) -> tuple[np.ndarray, dict]:
        env = gym.make("HalfCheetah-v5")
        env = RandomPushes(env, "torso", force=20.0, probability=0.2)
        env = ActionNoise(env, std=0.05)
        env = ActionDelay(env, delay_s=0.075)
        env = ObservationDelay(env, delay_s=0.05)
        env = ObservationNoise(env, white_std=0.01, bias_std=0.02)
        assert set(randomizable_wrappers(env)) == {
            "push.force",
            "noise.action",
            "latency.action",
            "latency.observation",
            "noise.observation",
            "bias.observation",
        }
        obs, info = env.reset(seed=seed)
        observations = [obs]
        commands = command_sequence(30, env.action_space, seed=seed)
        for action in commands:
            obs, _, _, _, info = env.step(action)
            assert obs.shape == (17,) and obs.dtype == env.observation_space.dtype
            observations.append(obs)
        return np.array(observations), info

    first, info = run(0)
    again, _ = run(0)
    other, _ = run(1)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3
    assert info["latency.action"] == 0.075 and info["latency.observation"] == 0.05
    assert info["noise.observation"] == 0.01 and info["bias.observation"] == 0.02
    assert info["noise.action"] == 0.05 and info["push.force"] == 20.0
    assert isinstance(info["push.active"], bool)
