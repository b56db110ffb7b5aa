"""Field helpers shared by the renos models, so that every table spells the conventions the same way."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


def money(**kwargs) -> models.DecimalField:
    """numeric(12,2): money is never a float (the original schema's defect)."""
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)


def text_array(**kwargs) -> ArrayField:
    """A text[] column, empty by default in Python and in the database."""
    return ArrayField(models.TextField(), default=list, db_default=EmptyTextArray(), blank=True, **kwargs)


def now_field(**kwargs) -> models.DateTimeField:
    """A timestamptz that defaults to now, in Python (movable by tests) and in the database."""
    return models.DateTimeField(default=timezone.now, db_default=Now(), **kwargs)


def optional_text(max_length: int | None = 255) -> models.Field:
    """A nullable text column (`?` in the data model); blank in forms is stored as NULL."""
    if max_length is None:
        return models.TextField(null=True, blank=True)
    return models.CharField(max_length=max_length, null=True, blank=True)


class EmptyTextArray(models.Func):
    """The SQL literal `'{}'::text[]`, usable as a db_default."""

    template = "'{}'::text[]"
    output_field = ArrayField(models.TextField())

    def __init__(self):
        super().__init__()
