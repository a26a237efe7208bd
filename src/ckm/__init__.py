"""CKM - the Customer Knowledge Manager."""

__version__ = "0.1.0"
