"""One exception family, so every front end can turn library errors into a one-line message."""


class DcganError(Exception):
    """Base class: its message is meant to be shown to the user as-is."""


class ConfigError(DcganError, ValueError):
    """A configuration value is invalid."""


class CheckpointError(DcganError, ValueError):
    """A file is not a usable checkpoint."""


class DataError(DcganError, ValueError):
    """A data set cannot be loaded."""


class TrainingError(DcganError, RuntimeError):
    """Training had to stop (for example on a NaN loss)."""
