"""What operators see of a service: logs, metrics and health endpoints."""
