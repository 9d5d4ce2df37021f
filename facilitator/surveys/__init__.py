"""Surveys: pseudonymous codes, completion tracking, response rates."""
