"""Tests of the HTTP API and the command line (package api), and the moderation flow end to end in Chromium."""
