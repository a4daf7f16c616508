"""Design files: one validated YAML (or TOML) describing server, transmitter, network, protocol,
process overrides, mask options and Monte Carlo size; ``load_design(path)`` gives one-line errors
naming the key path, the value and the allowed range; ``design_hash`` identifies a design."""

from .load import default_design, default_design_path, design_hash, dump_design, load_design, parse_design
from .model import (
    Design,
    DetectionDesign,
    MaskDesign,
    MonteCarloDesign,
    NetworkDesign,
    PairDesign,
    ProtocolDesign,
    ServerChip,
    ServerRing,
    TransmitterChip,
    network_params,
    processes,
)

__all__ = [
    "Design", "DetectionDesign", "MaskDesign", "MonteCarloDesign", "NetworkDesign", "PairDesign", "ProtocolDesign",
    "ServerChip", "ServerRing", "TransmitterChip", "default_design", "default_design_path", "design_hash",
    "dump_design", "load_design", "parse_design", "network_params", "processes",
]
