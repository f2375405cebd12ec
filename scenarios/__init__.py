"""The bundled scenario library: one YAML file per role-play (data only, no code).

Installed as package data inside `simulator` (`simulator.scenarios`, see pyproject's
package-dir), never as a top-level `scenarios` package; read it with importlib.resources.
"""
