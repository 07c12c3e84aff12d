"""Keep a SAC fine-tune near its demonstrations: a Q-filtered BC step and the clone's entropy.

Two failures of SAC started from a clone, seen on the pendulum swing-up under
sysid-centred randomization (the return of BC -> SAC fell from the clone's ~135
to ~0 within 1,000 steps of the critic warm-up's end, on every seed):

* **SAC's entropy target.** SB3 tunes the entropy coefficient towards an entropy of
  ``-dim(A)``. A clone of a bang-bang expert saturates its actions (80% of them at
  the limit on the pendulum), and a tanh-squashed Gaussian at the limit has an
  entropy far below that (about -10 there), so the coefficient grows and pulls the
  actions off the limit, where the weak motor no longer pumps enough energy.
  :func:`clone_entropy` measures the started actor's own entropy on the
  demonstration states; used as the target it holds the clone's spread instead.
* **The critic's extrapolation.** The critic has seen the demonstrations' actions
  and the clone's; the actor's gradient follows its guesses elsewhere.
  :class:`QFilteredBC` is the behaviour-cloning loss with a Q filter of Nair et al.
  (2018, "Overcoming Exploration in Reinforcement Learning with Demonstrations"):
  on each demonstration state where the critic rates the demonstrated action above
  the actor's, the actor is pulled towards it; where the actor's own action is rated
  higher, RL is left alone.

SB3's ``SAC.train`` computes the actor loss in one block that offers no hook, so the
BC term is a separate optimizer step that SB3's callbacks run beside it (as
:class:`~simreal.learning.remedies.BCRegulariser` does for PPO) instead of a
rewritten ``train``.
"""

from __future__ import annotations

from typing import Any

from stable_baselines3.common.callbacks import BaseCallback


def clone_entropy(model: Any, samples: int = 2048) -> float:  # noqa: ANN401
    """The entropy of ``model``'s actor on its buffer's demonstration states (nats).

    Estimated as ``-mean log pi(a|s)`` over ``samples`` demonstration states, one
    action drawn from the policy on each, with SB3's tanh-corrected log-probability
    (the entropy SAC's coefficient is tuned against).

    Raises:
        ValueError: If the replay buffer holds no demonstrations.
    """
    import torch

    demos = getattr(model.replay_buffer, "demos", None)
    if demos is None:
        raise ValueError("the clone's entropy is measured on demonstrations; the buffer has none.")
    batch = demos.sample(samples, model.get_vec_normalize_env())
    with torch.no_grad():
        _, log_prob = model.actor.action_log_prob(batch.observations)
    return float(-log_prob.mean())


class QFilteredBC(BaseCallback):
    """Behaviour cloning on demonstration batches where the critic prefers the demonstration.

    SB3's off-policy ``learn`` calls ``on_rollout_end`` after every collection, just
    before ``train()``. There, once the critic warm-up is over, this takes ``steps``
    Adam steps (its own optimizer over the actor's parameters, at ``learning_rate``),
    each on a batch of demonstration transitions: the loss is the squared distance
    between the actor's deterministic action ``tanh(mean)`` and the demonstrated one,
    counted only on the states where ``min(Q1, Q2)(s, a_demo) > min(Q1, Q2)(s, pi(s))``.

    Args:
        warmup: Env steps after ``learning_starts`` without a BC step (the critic
            warm-up, while the actor is frozen).
        steps: BC steps per ``train()`` call.
        batch_size: Demonstration transitions per step.
        learning_rate: The BC optimizer's learning rate.

    Attributes:
        updates: BC steps taken.
        kept: Demonstration states that passed the filter, over all steps.
        seen: Demonstration states drawn, over all steps.
    """

    def __init__(self, warmup: int, steps: int, batch_size: int, learning_rate: float) -> None:
        super().__init__()
        if warmup < 0 or steps < 1 or batch_size < 1 or not learning_rate > 0:
            raise ValueError(
                "QFilteredBC needs warmup >= 0, steps >= 1, batch_size >= 1 and a learning "
                f"rate > 0; got {warmup}, {steps}, {batch_size}, {learning_rate}."
            )
        self.warmup, self.steps = warmup, steps
        self.batch_size, self.learning_rate = batch_size, learning_rate
        self.optimizer: Any = None
        self.updates = self.kept = self.seen = 0

    def state_dict(self) -> dict:
        """The BC optimizer's state, for a checkpoint.

        Returns:
            ``{"optimizer": Adam's state dict}``, or ``{}`` before the first BC step.
        """
        return {} if self.optimizer is None else {"optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict, actor: Any) -> None:  # noqa: ANN401
        """Go on from :meth:`state_dict`'s output: Adam's moments and step count.

        Args:
            state: What :meth:`state_dict` returned (``{}``: nothing to restore).
            actor: The model's actor, whose parameters the optimizer steps (restored
                in place before this is called, so the moments belong to them).

        Raises:
            ValueError: If the state does not fit the actor's parameters.
        """
        import torch

        if "optimizer" in state:
            self.optimizer = torch.optim.Adam(actor.parameters(), lr=self.learning_rate)
            try:
                self.optimizer.load_state_dict(state["optimizer"])
            except (ValueError, KeyError, TypeError) as error:
                message = f"the BC optimizer's state does not fit the actor: {error}"
                raise ValueError(message) from None

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        if self.model.num_timesteps <= self.model.learning_starts + self.warmup:
            return
        if getattr(self.model.replay_buffer, "demos", None) is None:
            return
        for _ in range(self.steps):
            self._step()

    def _step(self) -> None:
        import torch

        model = self.model
        if self.optimizer is None:
            self.optimizer = torch.optim.Adam(model.actor.parameters(), lr=self.learning_rate)
        batch = model.replay_buffer.demos.sample(self.batch_size, model.get_vec_normalize_env())
        mean, _, _ = model.actor.get_action_dist_params(batch.observations)
        action = torch.tanh(mean)
        with torch.no_grad():
            q_demo = torch.cat(model.critic(batch.observations, batch.actions), 1).min(1).values
            q_actor = torch.cat(model.critic(batch.observations, action), 1).min(1).values
            keep = (q_demo > q_actor).float()
        loss = (keep * ((action - batch.actions) ** 2).sum(1)).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.updates += 1
        self.kept += int(keep.sum())
        self.seen += len(keep)
