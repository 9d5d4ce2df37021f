"""PURE scheduling: timeline, groups, rotation and planned messages. No I/O, no clock reads.

Imports only `plan`.
"""
