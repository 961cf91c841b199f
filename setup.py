"""A bare shim: all metadata is in pyproject.toml.

Kept because the product's layout names setup.py (and a few older tools still call it).
"""

from setuptools import setup

setup()
