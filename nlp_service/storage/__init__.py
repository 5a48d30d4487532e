"""The database: the source of truth. Indexes elsewhere are caches rebuilt from it."""
