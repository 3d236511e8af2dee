"""Front-ends: spec text (DSL or YAML) to the typed AST of `ast.py`."""
