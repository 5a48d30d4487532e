"""Text mining and routing for citizens' suggestions and the news about them."""

__version__ = "0.1.0"
