"""Tests of layers.analysis: accessibility (2SFCA, E2SFCA) and the overlay."""
