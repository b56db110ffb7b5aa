"""The one answer to "which columns hold secrets": `EncryptedTextField` and `encrypted_fields()`.

Every column that holds a secret is an `EncryptedTextField`. It stores a `shared.crypto` token (the
model attribute holds the token too, never the plaintext: services encrypt on the way in and decrypt
on the way out, so no page, repr or queryset can show a secret by accident). Everything that must
treat secrets specially asks `encrypted_fields()`: the admin (never rendered, filtered or searched,
masked in its audit), key rotation (`shared.keyring`), the health check of the key ring, the backup
manifest and the database audit.

A column that holds a secret only on some rows says so with `encrypted_when`: the name of a boolean
field of the same model. `flow.Variable.value` is `EncryptedTextField(encrypted_when="is_secret")`:
the value is a token exactly when `is_secret` is true, and plain text otherwise. `condition()` gives
the rows that hold tokens as a `Q`, `holds_secret(obj)` answers for one object; rotation, health and
backups use them, so the rule exists once.

Why not a library: django-encrypted-model-fields (0.6.5, 2022, Fernet) and django-cryptography (1.1,
2022, forks for Django 5) decrypt transparently, so every loaded instance carries the plaintext (one
careless list_display, repr or serializer away from a page or a log); neither encrypts a column on some
rows only (a variable's `is_secret`), and both would change the token format of the rows already
stored under `shared.crypto` (AES-GCM, key id in the token, which rotation and health rely on). What
is needed on top of `shared.crypto` is a marker and a registry, which is this module.

Why a field type rather than a list of names: the type travels with the model (a new secret column
cannot be added without appearing in the registry), and `pre_save` refuses to write plaintext where a
token belongs. The database backs the same rule with a check constraint on each column.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models
from django.db.models import Q

from shared import crypto


class EncryptedTextField(models.TextField):
    """A text column that holds `shared.crypto` tokens (on every row, or where `encrypted_when` is true)."""

    encrypted = True

    def __init__(self, *args: Any, encrypted_when: str | None = None, **kwargs: Any) -> None:
        self.encrypted_when = encrypted_when
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.encrypted_when is not None:
            kwargs["encrypted_when"] = self.encrypted_when
        return name, path, args, kwargs

    def condition(self) -> Q:
        """The rows whose value is (or must be) a token: set, and `encrypted_when` true if given."""
        rows = Q(**{f"{self.attname}__isnull": False})
        if self.encrypted_when:
            rows &= Q(**{self.encrypted_when: True})
        return rows

    def holds_secret(self, obj: models.Model) -> bool:
        """Whether this field of `obj` holds (or must hold) a token."""
        if getattr(obj, self.attname) in (None, ""):
            return False
        return not self.encrypted_when or bool(getattr(obj, self.encrypted_when))

    def condition_column(self) -> str | None:
        """The database column of `encrypted_when` (for raw SQL), or None."""
        if not self.encrypted_when:
            return None
        return self.model._meta.get_field(self.encrypted_when).column

    def formfield(self, **kwargs: Any) -> None:
        # No form ever renders the column (nor its token): forms that set a secret have a write-only
        # field of their own and store it through the app's service.
        return None

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if self.holds_secret(model_instance) and not crypto.is_token(value):
            # Never the value in the message: it is a secret that was about to be stored in the clear.
            raise ValueError(
                f"{model_instance._meta.label}.{self.name} holds a secret and must be saved as a "
                "shared.crypto token (encrypt it in the service), not as plain text."
            )
        return value


def token_constraint(
    field_name: str, *, name: str, encrypted_when: str | None = None
) -> models.CheckConstraint:
    """The database side of the rule, for a model's Meta.constraints: where the column holds a secret,
    it holds a token. Plain-SQL writers (the services that share this database) are held to it too."""
    allowed = Q(**{f"{field_name}__isnull": True}) | Q(**{f"{field_name}__startswith": f"{crypto.PREFIX}:"})
    if encrypted_when:
        allowed |= Q(**{encrypted_when: False})
    return models.CheckConstraint(
        condition=allowed,
        name=name,
        violation_error_message=f"{field_name} must be stored encrypted (a shared.crypto token).",
    )


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) that holds a secret, in app and model order."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_concrete_fields:
            if getattr(field, "encrypted", False):
                found.append((model, field))
    return found


def encrypted_field_names(model: type[models.Model], obj: models.Model | None = None) -> tuple[str, ...]:
    """Names of the fields of `model` that hold secrets (for the admin and the audit).

    With `obj`, a conditional field counts only where it holds a secret on that object (a plain
    variable's value is no secret); without, every encrypted field counts (the careful answer)."""
    return tuple(
        field.name
        for field in model._meta.concrete_fields
        if getattr(field, "encrypted", False)
        and (obj is None or not field.encrypted_when or field.holds_secret(obj))
    )


def _admin_option_names(value: Any) -> set[str]:
    names = set()
    for item in value or ():
        if isinstance(item, list | tuple):
            names |= _admin_option_names(item)
        elif isinstance(item, str):
            # "^name", "=name", "@name" in search_fields; "name__lookup" anywhere: the field is "name".
            names.add(item.lstrip("^=@-").split("__")[0])
    return names


def check_admin_hides_secrets(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: no ModelAdmin shows, edits, filters, sorts or searches an encrypted column.

    A page may say whether a secret is set (`shared.crypto.mask` in a method), never show the token:
    a token is not the plaintext, but it is what an attacker with a leaked key needs."""
    from django.contrib import admin

    errors = []
    for model, model_admin in admin.site._registry.items():
        secret = set(encrypted_field_names(model))
        if not secret:
            continue
        options = {
            "list_display": model_admin.list_display,
            "list_display_links": model_admin.list_display_links,
            "list_filter": model_admin.list_filter,
            "list_editable": model_admin.list_editable,
            "search_fields": model_admin.search_fields,
            "sortable_by": model_admin.sortable_by,
            "ordering": model_admin.ordering,
            "readonly_fields": model_admin.readonly_fields,
            "fields": model_admin.fields,
            "fieldsets": [options.get("fields") for _, options in model_admin.fieldsets or ()],
            "date_hierarchy": [model_admin.date_hierarchy],
        }
        for option, value in options.items():
            for name in sorted(_admin_option_names(value) & secret):
                errors.append(
                    checks.Error(
                        f"{type(model_admin).__name__}.{option} names the encrypted field '{name}'.",
                        hint="Encrypted columns are never shown, edited, filtered, sorted or searched in "
                        "the admin; show shared.crypto.mask(...) from a method instead.",
                        obj=type(model_admin),
                        id="shared.E010",
                    )
                )
    return errors
