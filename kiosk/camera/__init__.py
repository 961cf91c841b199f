"""Frames to scan events: sources, capture thread, decoder, scanner (no Kivy)."""
