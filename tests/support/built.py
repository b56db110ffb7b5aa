"""Which of a demo module's row kinds its app's factories made (`shared.seeding.built`)."""

from __future__ import annotations

import pytest

from shared import seeding


def models_built_by(monkeypatch: pytest.MonkeyPatch, demo_module) -> list:
    """A list that fills, as the demo module seeds, with the models whose rows it made through
    `shared.seeding.built` (each once, in first-use order); rows it wrote as plain dicts are not there."""
    models: list = []

    def recording(factory_class, /, **values):
        if factory_class._meta.model not in models:
            models.append(factory_class._meta.model)
        return seeding.built(factory_class, **values)

    monkeypatch.setattr(demo_module, "built", recording)
    return models
