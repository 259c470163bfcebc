"""The HTTP API: routers call services only."""
