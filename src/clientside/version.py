"""clientside's version, in one place (written into every bundle's converted_by)."""
__version__ = "0.1.0"
