"""Every domain error has its AWS code and message in the provider table (densho.providers.errors).

A class missing from the table would answer as an internal error; its bases are never raised.
"""

from __future__ import annotations

import inspect

from densho.core import errors
from densho.providers.errors import _TABLE

_BASES = {errors.DomainError, errors.InvalidParameter, errors.InvalidPolicyValue}


def test_every_raised_error_has_a_table_entry() -> None:
    raised = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.DomainError)
        and cls not in _BASES
        and not cls.__name__.startswith("_")
    }
    assert raised - set(_TABLE) == set()
