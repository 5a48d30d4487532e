"""Derived indexes (vectors, keywords): caches of the database, rebuilt from it on demand."""
