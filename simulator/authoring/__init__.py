"""The trainer's toolkit: validate, lint, schema, graph, analyze, new."""
