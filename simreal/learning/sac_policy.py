"""SB3's SAC policy with layer-normalised critics (RLPD's critic).

Ball et al. (2023, "Efficient Online Reinforcement Learning with Offline Data")
found LayerNorm in the critic the one change that keeps Q-values from
extrapolating wildly on actions the offline data never shows. SB3's
``ContinuousCritic`` has no such option, so :class:`LayerNormSACPolicy` rebuilds
its Q-networks with SB3's own ``create_mlp(..., post_linear_modules=[LayerNorm])``
(a LayerNorm after every hidden linear layer, before the activation), before the
optimizer and target network are made. Everything else is SB3's ``MlpPolicy``.

The policy is given to SAC as a class (``SAC(LayerNormSACPolicy, env)``); runs
store it by the name in :data:`POLICIES`, which the policy store resolves only
here — loading a run imports no class named by the file.
"""

from __future__ import annotations

from typing import Any

from stable_baselines3.sac.policies import SACPolicy
from torch import nn


class LayerNormSACPolicy(SACPolicy):
    """SAC's MLP policy whose critics normalise every hidden layer (LayerNorm)."""

    def make_critic(self, features_extractor: Any = None) -> Any:  # noqa: ANN401
        """SB3's critic, its Q-networks rebuilt with LayerNorm after each hidden layer."""
        from stable_baselines3.common.preprocessing import get_action_dim
        from stable_baselines3.common.torch_layers import create_mlp

        critic = super().make_critic(features_extractor)
        kwargs = self._update_features_extractor(self.critic_kwargs, features_extractor)
        inputs = kwargs["features_dim"] + get_action_dim(self.action_space)
        for index in range(critic.n_critics):
            layers = create_mlp(
                inputs,
                1,
                kwargs["net_arch"],
                kwargs["activation_fn"],
                post_linear_modules=[nn.LayerNorm],
            )
            network = nn.Sequential(*layers).to(self.device)
            critic.add_module(f"qf{index}", network)  # replaces SB3's plain one
            critic.q_networks[index] = network
        return critic


POLICIES: dict[str, type] = {"LayerNormMlpPolicy": LayerNormSACPolicy}
"""simreal's own SAC policies, by the name a run's ``policy.json`` stores."""
