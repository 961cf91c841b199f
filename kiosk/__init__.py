"""Customer self-service kiosk."""
