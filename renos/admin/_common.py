"""Helpers shared by the renos admin modules."""

from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.core.exceptions import ValidationError


def run_service_action(
    modeladmin: admin.ModelAdmin, request, objects: Iterable, call: Callable, done: str
) -> None:
    """Call a service for each selected object; report successes and each refusal by name."""
    succeeded = 0
    for obj in objects:
        try:
            call(obj)
        except ValidationError as error:
            modeladmin.message_user(request, f"{obj}: {' '.join(error.messages)}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)
