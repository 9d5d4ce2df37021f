"""Zoom: API client, simulator, provisioning, webhooks and live room state."""
