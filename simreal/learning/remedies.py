"""The BC -> RL remedies as Stable-Baselines3 callbacks.

PPO started from a behaviour-cloned policy tends to lose the cloned skill in its
first updates: the value head starts random (its advantages are noise) and
cloning drives the log-std so low that PPO stops exploring. Each remedy is one
``BaseCallback``; pass any of them to ``PPO.learn`` (a ``CallbackList`` of them).

SB3's ``collect_rollouts`` calls ``on_rollout_start`` right after
``rollout_buffer.reset()`` (the buffer is empty) and ``on_rollout_end`` when the
buffer is full, just before ``train()``. The remedies act at those two points:

* :class:`CriticWarmup` freezes the actor for the updates of the first
  ``steps`` env steps (whole rollouts), so only the value head learns;
* :class:`LogStdFloor` resets the log-std when training starts and clamps it at a
  floor after every update;
* :class:`BCRegulariser` takes one gradient step on
  ``weight * decay**k * |mean(s) - mean_BC(s)|^2`` over the full rollout's states
  after each update that trains the actor.

>>> from stable_baselines3.common.callbacks import CallbackList
>>> # model.learn(50_000, callback=CallbackList([CriticWarmup(8192), LogStdFloor(h, 0.1, 0.02)]))
"""

from __future__ import annotations

import copy
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback


def actor_parameters(policy: Any) -> list:  # noqa: ANN401
    """The parameters of an SB3 ``ActorCriticPolicy`` that shape the action distribution.

    Everything but the critic (``mlp_extractor.value_net``, ``value_net`` and, with
    ``share_features_extractor=False``, ``vf_features_extractor``): the policy branch,
    its feature extractor, the action head and the log-std.
    """
    critic = ("mlp_extractor.value_net.", "value_net.", "vf_features_extractor.")
    return [p for name, p in policy.named_parameters() if not name.startswith(critic)]


class CriticWarmup(BaseCallback):
    """Freeze the actor for the PPO updates of the first ``steps`` env steps.

    An update trains on the rollout that ends just before it; the actor is frozen in
    every update whose rollout ends at or before ``steps`` env steps, and trains from
    the first one after. ``frozen_updates`` and ``actor_updates`` count them.

    Args:
        steps: Env steps of warm-up (0: off).
    """

    def __init__(self, steps: int) -> None:
        super().__init__()
        if steps < 0:
            raise ValueError(f"critic warm-up must be >= 0 env steps, got {steps}.")
        self.steps = steps
        self.frozen_updates = 0
        self.actor_updates = 0

    def frozen(self) -> bool:
        """Whether the next update leaves the actor as it is."""
        return self.num_timesteps <= self.steps

    def _on_training_start(self) -> None:
        # ``learn`` may be called again for a budget's shorter last rollout.
        self._set_frozen(self.steps > 0 and self.num_timesteps < self.steps)

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        frozen = self.frozen()
        self._set_frozen(frozen)
        if frozen:
            self.frozen_updates += 1
        else:
            self.actor_updates += 1

    def _on_training_end(self) -> None:
        self._set_frozen(False)

    def _set_frozen(self, frozen: bool) -> None:
        for parameter in actor_parameters(self.model.policy):
            parameter.requires_grad_(not frozen)


class LogStdFloor(BaseCallback):
    """Reset the action std when training starts and keep it above a floor.

    Both in action units relative to each dimension's half-range: the std starts at
    ``init_std * half_range`` and is clamped at ``min_std * half_range`` before every
    rollout (that is, after every update) and when training ends.

    Args:
        half_range: Half of the action range per dimension (a tensor).
        init_std: Initial std as a fraction of the half-range (``None``: keep the policy's).
        min_std: Floor as a fraction of the half-range (0: no floor).
    """

    def __init__(self, half_range: Any, init_std: float | None, min_std: float) -> None:  # noqa: ANN401
        super().__init__()
        import torch

        if init_std is not None and init_std <= 0:
            raise ValueError(f"init_std must be > 0 (or None), got {init_std}.")
        if min_std < 0:
            raise ValueError(f"min_std must be >= 0, got {min_std}.")
        self.half_range = torch.as_tensor(half_range, dtype=torch.float32)
        self.init_std = init_std
        self.min_std = min_std
        self.was_reset = False

    def _on_training_start(self) -> None:
        import torch

        if self.init_std is not None and not self.was_reset:  # once, not per ``learn`` call
            self.was_reset = True
            with torch.no_grad():
                self.model.policy.log_std.copy_(torch.log(self.init_std * self.half_range))
        self._clamp()

    def _on_step(self) -> bool:
        return True

    def _on_rollout_start(self) -> None:
        self._clamp()

    def _on_training_end(self) -> None:
        self._clamp()

    def _clamp(self) -> None:
        import torch

        if self.min_std > 0:
            with torch.no_grad():
                self.model.policy.log_std.clamp_(min=torch.log(self.min_std * self.half_range))


class BCRegulariser(BaseCallback):
    """Pull the policy mean towards the BC policy's, with a decaying weight.

    After each PPO update that trains the actor, one Adam step on
    ``weight * decay**k * mean(|mean(s) - mean_BC(s)|^2)`` over the states of the rollout
    that update trained on (``k``: the steps taken so far). The states are taken from the
    full buffer in ``on_rollout_end``; the step runs when SB3 next calls back, after
    ``train()`` (the next ``on_rollout_start``, or ``on_training_end``). ``steps_taken``
    counts the steps.

    Args:
        reference: The BC policy (an SB3 ``ActorCriticPolicy``); a frozen copy is kept.
        weight: Initial weight (0: off).
        decay: Factor per step, in [0, 1].
        learning_rate: Adam's step size.
        warmup: A :class:`CriticWarmup` whose frozen updates are skipped, or ``None``.
        min_weight: Below this weight the regulariser stops.
    """

    def __init__(
        self,
        reference: Any,  # noqa: ANN401
        weight: float,
        decay: float,
        learning_rate: float = 1e-4,
        warmup: CriticWarmup | None = None,
        min_weight: float = 1e-6,
    ) -> None:
        super().__init__()
        if weight < 0 or not 0 <= decay <= 1:
            raise ValueError(f"need weight >= 0 and decay in [0, 1], got {weight}, {decay}.")
        self.reference = copy.deepcopy(reference).eval()
        for parameter in self.reference.parameters():
            parameter.requires_grad_(False)
        self.weight, self.decay = weight, decay
        self.learning_rate = learning_rate
        self.warmup = warmup
        self.min_weight = min_weight
        self.steps_taken = 0
        self.optimizer: Any = None
        self.losses: list[float] = []
        self.pending: Any = None

    def current_weight(self) -> float:
        """The weight of the next step."""
        return self.weight * self.decay**self.steps_taken

    def _on_training_start(self) -> None:
        import torch

        if self.optimizer is not None:  # a later ``learn`` call of the same budget
            return
        self.optimizer = torch.optim.Adam(
            actor_parameters(self.model.policy), lr=self.learning_rate
        )

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        import torch

        buffer = self.model.rollout_buffer
        if self.current_weight() < self.min_weight or not buffer.full:
            return
        if self.warmup is not None and self.warmup.frozen():
            return
        policy = self.model.policy
        shape = policy.observation_space.shape
        # The buffer is reset before the next rollout: keep the states for after the update.
        self.pending = torch.as_tensor(
            buffer.observations.reshape(-1, *shape).copy(), device=policy.device
        )

    def _on_rollout_start(self) -> None:
        self._step()

    def _on_training_end(self) -> None:
        self._step()

    def _step(self) -> None:
        import torch

        if self.pending is None:
            return
        obs, self.pending = self.pending, None
        with torch.no_grad():
            target = self.reference.get_distribution(obs).distribution.mean
        mean = self.model.policy.get_distribution(obs).distribution.mean
        loss = self.current_weight() * ((mean - target) ** 2).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.losses.append(float(loss.detach()))
        self.steps_taken += 1


class OffPolicyCriticWarmup(BaseCallback):
    """Freeze an off-policy actor (SAC's) and its entropy coefficient while the critic warms up.

    SB3's off-policy ``learn`` calls ``on_rollout_end`` after every collection, just
    before ``train()``, and ``on_rollout_start`` after it. While ``num_timesteps <=
    learning_starts + steps``, the actor's parameters stop requiring gradients at
    ``on_rollout_end``, so SAC's actor loss changes nothing (the critic's optimizer
    clears the gradients it leaves before its own step), and the entropy coefficient
    is put back at ``on_rollout_start`` to its value before ``train()``: tuned against a
    frozen actor, it would grow towards the target entropy and, once the actor trains,
    push the clone towards noise. The first update after the warm-up starts the
    coefficient's optimizer afresh. ``frozen_updates`` and ``actor_updates`` count the
    ``train()`` calls of each kind.

    Args:
        steps: Env steps after ``learning_starts`` with the actor frozen (0: off).
    """

    def __init__(self, steps: int) -> None:
        super().__init__()
        if steps < 0:
            raise ValueError(f"critic warm-up must be >= 0 env steps, got {steps}.")
        self.steps = steps
        self.frozen_updates = 0
        self.actor_updates = 0
        self.held: Any = None  # the entropy coefficient's log before a frozen train()

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        if self.num_timesteps <= self.model.learning_starts:
            return  # SB3 does not train yet
        frozen = self.num_timesteps <= self.model.learning_starts + self.steps
        for parameter in self.model.actor.parameters():
            parameter.requires_grad_(not frozen)
        log_alpha = getattr(self.model, "log_ent_coef", None)
        if frozen:
            self.frozen_updates += 1
            if log_alpha is not None:
                self.held = log_alpha.detach().clone()
        else:
            if self.actor_updates == 0 and self.frozen_updates and log_alpha is not None:
                self.model.ent_coef_optimizer.state.clear()  # no momentum from the warm-up
            self.actor_updates += 1

    def _on_rollout_start(self) -> None:
        self._restore()

    def _on_training_end(self) -> None:
        self._restore()
        for parameter in self.model.actor.parameters():
            parameter.requires_grad_(True)

    def _restore(self) -> None:
        if self.held is not None:
            import torch

            with torch.no_grad():
                self.model.log_ent_coef.copy_(self.held)
            self.held = None
