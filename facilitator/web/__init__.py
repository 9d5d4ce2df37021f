"""The web app: director dashboard, facilitator page, anonymous board, surveys, JSON API."""
