"""Fonts, sounds and images read by the front ends (data only, no code)."""
