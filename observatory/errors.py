"""Domain errors. They know nothing of HTTP: api/errors.py maps them to responses."""

from __future__ import annotations


class ObservatoryError(Exception):
    """Base of every error the observatory raises on purpose; its message is French."""


class InvalidInput(ObservatoryError):
    """The input (a file, a parameter) cannot be used as given."""


class MissingColumns(InvalidInput):
    """A file refused as a whole: no column found for a required field (date, category, place).

    ``details`` go into the failed batch's record: the file's header and the fields missing,
    what the mapping assistant of the import page offers to choose from.
    """

    def __init__(self, message: str, *, header: list[str], missing: list[str]) -> None:
        super().__init__(message)
        self.details = {"header": list(header), "missing_fields": list(missing)}


class ImportBusy(InvalidInput):
    """Another import of the same kind or source holds the lock."""


class InUse(InvalidInput):
    """The thing is still named by others (a group by accounts or tokens): HTTP 409."""


class TooLarge(InvalidInput):
    """The input goes beyond a size limit (a setting says which): HTTP 413."""


class NotAllowed(ObservatoryError):
    """The caller's role may not be told this (observatory/privacy/policy.py says why)."""


class NotFound(ObservatoryError):
    """The thing asked for does not exist."""


class DatabaseUnavailable(ObservatoryError):
    """The database cannot be reached."""


class Busy(ObservatoryError):
    """Too much of a costly kind of work at once: try again in ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NearRepeatTooLarge(InvalidInput):
    """A near-repeat test beyond its caps (bands, facts, pairs): narrow the question (422)."""


class Cancelled(ObservatoryError):
    """The caller no longer waits for this work (the client left): it was abandoned."""
