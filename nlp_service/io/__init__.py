"""Reading and writing files: plain texts, tabular imports and exports."""
