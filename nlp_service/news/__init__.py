"""News pages: extraction, and links from news to the suggestions they report on."""
