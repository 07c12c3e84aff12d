"""Learning: training under randomization, evaluation, demonstrations."""
