"""HTTP API: translates HTTP to the service facade and back. The only package that imports FastAPI."""
