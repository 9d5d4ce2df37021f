"""The session plan format: models, YAML loading with file:line:col errors, cross-field checks."""
