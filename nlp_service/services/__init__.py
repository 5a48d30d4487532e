"""Application services: each composes components for one domain. They take components as
arguments, never the facade."""
