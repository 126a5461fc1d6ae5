"""Reference data: users, courses and assignments, classes, categories."""
