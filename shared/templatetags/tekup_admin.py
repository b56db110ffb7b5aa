"""Template tags of the project's admin templates."""

from __future__ import annotations

from django import template
from django.core.exceptions import FieldDoesNotExist

from shared.admin_base import formatted_column

register = template.Library()


@register.simple_tag
def readonly_contents(admin_field):
    """A read-only value of a change page (Django's AdminReadonlyField), formatted as the changelists
    format its column: money "1.234,56 kr.", durations "7 h 42 min", percentages rounded. Anything
    else, and empty values, as Django shows them."""
    name = admin_field.field["field"]
    instance = admin_field.form.instance
    if isinstance(name, str):
        try:
            model_field = instance._meta.get_field(name)
        except FieldDoesNotExist:  # an admin method or a model property
            model_field = None
        show = formatted_column(model_field) if model_field is not None and model_field.concrete else None
        formatted = show(instance) if show is not None else None
        if formatted is not None:
            return formatted
    return admin_field.contents()
