"""The one exception tree of driftguard.

Every error the library raises on purpose derives from :class:`DriftguardError`, so callers
can catch one type. The tree::

    DriftguardError
    ├── SchemaError            data does not fit the declared feature schema
    │   ├── MissingColumnError     a schema column is absent from the data
    │   ├── ColumnTypeError        a value cannot be read as the column's declared kind
    │   └── InvalidInputError      a request field is missing, extra or of the wrong kind
    ├── EmptyDataError         no rows where some are needed
    ├── ConfigurationError     a constructor or function argument is out of its domain
    │   └── PolicyError            a policy file is invalid (names FILE:LINE and the problem)
    ├── NotFittedError         a learned attribute was read before ``fit``
    ├── SerializationError     a saved artefact cannot be read back
    │   ├── UnsupportedVersionError  it was written by an unknown format version
    │   └── IntegrityError           a checkpoint file's hash does not match its manifest
    ├── TrainingDataError      training data is unusable (NaN target, one class, leakage...)
    ├── RegistryError          a registry operation cannot be carried out
    │   ├── VersionNotFoundError     no such model name or version
    │   ├── ConflictError            compare-and-set lost: ACTIVE changed meanwhile
    │   └── NoRollbackTargetError    no earlier known-good, non-quarantined version
    ├── UnknownRequestError    feedback names a request id that is not (or no longer) logged
    ├── ModelUnavailableError  a registered model is not loaded (yet) by this service
    └── ClientRefusedError     the policy refuses a client flagged for probing the model
        ├── ClientBlockedError     blocked outright (until ``retry_after`` seconds have passed)
        └── RateLimitedError       over its allowed request rate (retry after ``retry_after`` s)

Messages always name the offending column, argument or file, so that the CLI can print them
as a single line and the service can return them as a 4xx body unchanged.

Examples
--------
>>> from driftguard.errors import ColumnTypeError, DriftguardError
>>> err = ColumnTypeError("age", "non-numeric value 'abc'")
>>> isinstance(err, DriftguardError), str(err)
(True, "column 'age': non-numeric value 'abc'")
"""

from __future__ import annotations

__all__ = [
    "ClientBlockedError",
    "ClientRefusedError",
    "ColumnTypeError",
    "ConfigurationError",
    "ConflictError",
    "DriftguardError",
    "EmptyDataError",
    "IntegrityError",
    "InvalidInputError",
    "MissingColumnError",
    "ModelUnavailableError",
    "NoRollbackTargetError",
    "NotFittedError",
    "PolicyError",
    "RateLimitedError",
    "RegistryError",
    "SchemaError",
    "SerializationError",
    "TrainingDataError",
    "UnknownRequestError",
    "UnsupportedVersionError",
    "VersionNotFoundError",
]


class DriftguardError(Exception):
    """Base class of every error driftguard raises on purpose."""


class SchemaError(DriftguardError):
    """Data does not fit the declared feature schema."""


class MissingColumnError(SchemaError):
    """A column the schema needs is absent (or an unexpected one is present)."""

    def __init__(self, column: str, detail: str = "missing from the data") -> None:
        self.column = column
        super().__init__(f"column {column!r}: {detail}")


class ColumnTypeError(SchemaError):
    """A value cannot be read as its column's declared kind."""

    def __init__(self, column: str, detail: str) -> None:
        self.column = column
        super().__init__(f"column {column!r}: {detail}")


class InvalidInputError(SchemaError):
    """A request does not fit the model's input schema; ``location`` names the field.

    ``location`` reads like a path into the request (``records[3].age``,
    ``inputs[0].data``), so a client can find the offending value.
    """

    def __init__(self, location: str, detail: str) -> None:
        self.location = location
        super().__init__(f"{location}: {detail}")


class EmptyDataError(DriftguardError):
    """No rows (or no usable values) where some are needed."""


class ConfigurationError(DriftguardError, ValueError):
    """An argument is outside its domain (the message names the argument)."""


class PolicyError(ConfigurationError):
    """A policy file is invalid; the message reads ``FILE:LINE: problem``.

    ``path`` names the file, ``line`` its 1-based line, ``problem`` what is wrong there.
    """

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        super().__init__(f"{path}:{line}: {problem}")


class NotFittedError(DriftguardError, AttributeError):
    """A learned attribute was used before ``fit`` was called."""


class SerializationError(DriftguardError):
    """A saved artefact is corrupt or not a driftguard artefact."""


class UnsupportedVersionError(SerializationError):
    """The artefact was written with a format version this release cannot read."""


class IntegrityError(SerializationError):
    """A checkpoint file is missing or its SHA-256 differs from the manifest (names the file)."""


class TrainingDataError(DriftguardError, ValueError):
    """Training data cannot be used as given (the message says what and where)."""


class RegistryError(DriftguardError):
    """A registry operation cannot be carried out."""


class VersionNotFoundError(RegistryError, LookupError):
    """No such model name or version in the registry."""


class ConflictError(RegistryError):
    """Compare-and-set failed: ACTIVE's generation is not the one the caller expected."""


class NoRollbackTargetError(RegistryError):
    """No earlier version is known-good and not quarantined."""


class UnknownRequestError(DriftguardError, LookupError):
    """Feedback names a request id this service never logged or has already evicted."""


class ModelUnavailableError(DriftguardError):
    """The model exists but this service has not loaded it (yet); retry later."""


class ClientRefusedError(DriftguardError):
    """The policy refuses this client's request; ``retry_after`` seconds until it may retry.

    ``retry_after`` is ``None`` when the refusal lasts until an operator releases the client.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class ClientBlockedError(ClientRefusedError):
    """The client is blocked (it was flagged for probing and the policy blocks such clients)."""


class RateLimitedError(ClientRefusedError):
    """The client is over the request rate the policy allows flagged clients."""
