"""The plane views' pictures: the colour map puts each value where a bqplot ColorScale of
the same stops would, and the PNG is one Pillow reads back pixel for pixel, of any shape."""

from __future__ import annotations

import io

import numpy as np
import PIL.Image
import pytest

from dlp_widgets.widgets.grid_picture import GridPicture, colour_map, hex_rgb, png


def test_values_take_the_colour_stops_and_mix_linearly_between_them():
    colours = ["#f59322", "#f7f7f7", "#0877bd"]
    rgba = colour_map([[-1.0, 0.0, 1.0, -0.5, 0.25, 7.0, -9.0, np.nan]], -1.0, 1.0, colours)
    orange, white, blue = (np.array(hex_rgb(c)) for c in colours)
    np.testing.assert_array_equal(rgba[0, :3, :3], [orange, white, blue])
    np.testing.assert_array_equal(rgba[0, 3, :3], np.rint((orange + white) / 2))  # halfway to white
    np.testing.assert_array_equal(rgba[0, 4, :3], np.rint(white * 0.75 + blue * 0.25))
    np.testing.assert_array_equal(rgba[0, 5:7, :3], [blue, orange])  # beyond the range: clipped
    assert rgba[0, :7, 3].tolist() == [255] * 7 and rgba[0, 7, 3] == 0  # NaN: transparent
    classes = colour_map([[0, 1, 2, 3]], 0, 3, ["#ff0000", "#00ff00", "#0000ff", "#123456"])
    assert [tuple(c) for c in classes[0, :, :3]] == [(255, 0, 0), (0, 255, 0), (0, 0, 255), (0x12, 0x34, 0x56)]
    assert hex_rgb("#fa0") == (255, 170, 0)
    flat = colour_map([[5.0, 5.0]], 5.0, 5.0, colours)  # no range: the first colour, no division by 0
    np.testing.assert_array_equal(flat[0, :, :3], [orange, orange])


@pytest.mark.parametrize("shape", [(1, 1), (100, 100), (50, 200), (3, 7)])
def test_pillow_reads_the_png_back_pixel_for_pixel(shape):
    rgba = np.random.default_rng(sum(shape)).integers(0, 256, size=(*shape, 4), dtype=np.uint8)
    image = PIL.Image.open(io.BytesIO(png(rgba)))
    assert image.mode == "RGBA" and image.size == (shape[1], shape[0])
    np.testing.assert_array_equal(np.asarray(image), rgba)


def test_each_draw_shows_the_other_image_widget_with_the_new_picture():
    from bqplot import LinearScale

    picture = GridPicture({"x": LinearScale(), "y": LinearScale()}, pixelated=False)
    shown = []
    for value in (0.0, 1.0, -1.0):
        picture.draw(np.full((2, 3), value), {"min": -1, "max": 1, "colors": ["#000000", "#ffffff"]}, (0, 3), (0, 2))
        shown.append(picture.mark.image)
        assert picture.mark.image.value == picture.picture
        top_left = np.asarray(PIL.Image.open(io.BytesIO(picture.picture)))[0, 0, 0]
        assert top_left == round((value + 1) / 2 * 255)
    assert shown[0] is not shown[1] and shown[0] is shown[2]  # a new widget each draw: the mark redraws
    assert list(picture.mark.x) == [0, 3] and list(picture.mark.y) == [0, 2]
