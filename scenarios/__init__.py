"""The bundled scenario library: one YAML file per role-play (data only, no code)."""
