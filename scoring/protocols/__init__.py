"""The bundled protocol files: one YAML file per procedure in the source documents."""
