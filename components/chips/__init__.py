"""Chip assemblies."""

from .server import server_chip
from .transmitter import transmitter_chip

__all__ = ["server_chip", "transmitter_chip"]
