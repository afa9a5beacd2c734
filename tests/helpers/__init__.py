"""Helpers shared by several test folders (plain functions and constants; fixtures live in conftest.py)."""
