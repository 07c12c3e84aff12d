"""reach task."""
