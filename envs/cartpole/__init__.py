"""cartpole task."""
