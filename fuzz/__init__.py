"""Coverage-guided fuzzing (atheris) of the parsers that take bytes from outside."""
