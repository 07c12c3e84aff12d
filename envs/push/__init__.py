"""push task."""
