"""The session plan format: models, YAML loading with file:line:col errors, cross-field checks.

The bottom layer: imports no other package of facilitator.
"""
