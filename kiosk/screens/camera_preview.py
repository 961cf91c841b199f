"""The camera picture on the scan screens: a prepared camera image uploaded into one Kivy texture (UI thread)."""

from __future__ import annotations

from kivy.graphics.texture import Texture


class PreviewTexture:
    """One texture, reused while the picture keeps its size; filled with the newest image on each clock tick."""

    def __init__(self) -> None:
        self._texture: Texture | None = None

    def show(self, image) -> Texture:
        """``image``: BGR bytes as a (height, width, 3) array, top row first (``CameraController.preview_image``)."""
        size = (image.shape[1], image.shape[0])
        if self._texture is None or tuple(self._texture.size) != size:
            self._texture = Texture.create(size=size, colorfmt="rgb")
        # Kivy textures start at the bottom row
        self._texture.blit_buffer(image[::-1].tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        return self._texture
