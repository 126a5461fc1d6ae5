"""Sessions: create, list, copy, delete, export."""
