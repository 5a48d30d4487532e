"""Plain types of the field: records as they arrive, the taxonomy."""
