"""Delivery channels: email, Zoom Team Chat, generic JSON webhook, console."""
