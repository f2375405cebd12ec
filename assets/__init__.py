"""Fonts, sounds and images read by the front ends (data only, no code).

Installed as package data inside `simulator` (`simulator.assets`, see pyproject's
package-dir), never as a top-level `assets` package; read it with importlib.resources.
"""
