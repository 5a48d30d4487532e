"""Who may do what: roles, API keys, and what each role may see of an item."""
