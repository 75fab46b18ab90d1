"""The notebooks in notebooks/, executed from top to bottom."""
