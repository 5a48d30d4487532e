"""Finding past items: hybrid keyword + semantic search, similar items."""
