"""Tests of the map pages (package mapping): their HTML, and what a person sees and does in headless Chromium."""
