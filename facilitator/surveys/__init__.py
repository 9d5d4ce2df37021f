"""Surveys: pseudonymous codes, completion tracking, response rates. Imports only the shared basics."""
