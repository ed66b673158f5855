"""Validation results: ``{field: message}`` in Simplified Chinese, shown at the field."""

from __future__ import annotations


class ValidationError(Exception):
    """Raised by a service when a record does not pass validation; nothing was written.

    :param errors: ``{field name: Chinese message}``.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("；".join(f"{k}: {v}" for k, v in self.errors.items()))
