"""The web app: director dashboard, facilitator page, anonymous board, surveys, Zoom webhook route, JSON API.

Imports `delivery`, `zoom`, `store`, `schedule`, `plan`, `surveys` and the shared basics; only `app` and
`cli` import it.
"""
