"""Reference data: users, courses and assignments, classes, categories.

One module per kind of data; importing them here registers their routes on the
admin blueprint (admins only).
"""

from . import (  # noqa: F401
    reference_categories,
    reference_classes,
    reference_courses,
    reference_users,
)
