"""Anchor SAC's actor to the demonstrations inside its own update (TD3+BC-style).

A separate BC optimizer step beside SAC's
(:class:`~simreal.learning.demo_regulariser.QFilteredBC`) cannot outweigh SAC's
actor gradient: both are Adam steps, which move the weights by about the learning
rate whatever the size of their gradients. TD3+BC (Fujimoto & Gu 2021, "A
Minimalist Approach to Offline Reinforcement Learning") adds the BC term to the
actor's loss instead, so that one optimizer step sees both gradients and the
pull towards the demonstrations grows with the distance the actor has left
them by::

    loss = -lambda * Q(s, pi(s)) / mean|Q| + mean((pi(s) - a_demo)^2)

SB3's ``SAC.train`` computes the actor loss in one block without a hook, so
:class:`DemoAnchor` adds the BC gradient through the hook PyTorch offers:
a *step pre-hook* on the actor's optimizer, which runs after SB3's
``actor_loss.backward()`` and before ``actor.optimizer.step()``. There it draws a
demonstration batch, computes ``weight * mean|Q(s, pi(s))| * mean((tanh(mu(s)) -
a_demo)^2)`` (the loss above times ``mean|Q| / lambda``, ``weight = 1 / lambda``;
Adam is indifferent to that common scale) and adds its gradient to the actor's.
Departures from TD3+BC: SAC's stochastic actor and entropy term stay (the BC term
acts on its deterministic action ``tanh(mu)``), and the demonstration batch is
drawn apart from SAC's half-and-half batch. While the critic warm-up freezes the
actor (its parameters do not require gradients) the hook does nothing.

What it does not do: on Reach (a position-servoed arm at 50 Hz) it did not keep
SAC from losing a precise clone, even at a weight of 20 (the README's last-mile
section has the numbers). There one step's command hardly changes the return —
the critic rated the demonstrated action and one 0.1 rad away within 2% of each
other — so the actor follows the critic's fitting error.
"""

from __future__ import annotations

from typing import Any

from stable_baselines3.common.callbacks import BaseCallback


class DemoAnchor(BaseCallback):
    """Add a BC term on demonstrations to every SAC actor step (TD3+BC's anchor).

    Registered at ``on_training_start`` as a step pre-hook of ``model.actor.optimizer``
    and removed at ``on_training_end``; SB3 calls that optimizer's ``step`` once per
    gradient step, right after the actor loss's backward pass.

    Args:
        weight: The BC term's weight relative to the normalised Q term (TD3+BC's
            ``1 / lambda``: 0.4 for its ``lambda = 2.5``). Must be > 0.
        batch_size: Demonstration transitions per step.

    Attributes:
        updates: Actor steps that carried the BC term.
        last_loss: The BC term's mean squared action error at the latest step.
    """

    def __init__(self, weight: float, batch_size: int) -> None:
        super().__init__()
        if not weight > 0 or batch_size < 1:
            raise ValueError(
                f"DemoAnchor needs weight > 0 and batch_size >= 1; got {weight}, {batch_size}."
            )
        self.weight, self.batch_size = weight, batch_size
        self.updates = 0
        self.last_loss = float("nan")
        self.handle: Any = None

    def _on_training_start(self) -> None:
        if getattr(self.model.replay_buffer, "demos", None) is None:
            raise ValueError("the demonstration anchor needs demonstrations in the replay buffer.")
        self.handle = self.model.actor.optimizer.register_step_pre_hook(self._before_step)

    def _on_training_end(self) -> None:
        if self.handle is not None:
            self.handle.remove()
            self.handle = None

    def _on_step(self) -> bool:
        return True

    def _before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:  # noqa: ANN401
        import torch

        actor, critic = self.model.actor, self.model.critic
        if not any(p.requires_grad for p in actor.parameters()):
            return  # the critic warm-up holds the actor
        batch = self.model.replay_buffer.demos.sample(
            self.batch_size, self.model.get_vec_normalize_env()
        )
        mean, _, _ = actor.get_action_dist_params(batch.observations)
        action = torch.tanh(mean)
        with torch.no_grad():
            q = torch.cat(critic(batch.observations, action), 1).min(1).values
            scale = q.abs().mean().clamp_min(1e-6)
        error = ((action - batch.actions) ** 2).mean()
        (self.weight * scale * error).backward(inputs=list(actor.parameters()))
        self.updates += 1
        self.last_loss = float(error.detach())
