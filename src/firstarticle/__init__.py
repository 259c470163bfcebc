"""firstarticle: AS9102 First Article Inspection coordination beside a plant's MES."""

__version__ = "0.1.0"
