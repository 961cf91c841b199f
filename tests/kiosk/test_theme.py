"""The customer screen's colours read well: every text/background pair reaches WCAG AA (4.5:1)."""

from __future__ import annotations

import pytest

from kiosk.theme import COLOURS, TEXT_PAIRS, contrast_ratio, readable_on


@pytest.mark.parametrize(("text", "background"), TEXT_PAIRS)
def test_text_on_its_background_has_at_least_4_5_to_1_contrast(text, background):
    assert contrast_ratio(text, background) >= 4.5, (text, background, contrast_ratio(text, background))


@pytest.mark.parametrize("group_colour", ["#15803d", "#b45309", "#0369a1", "#7c3aed", "#facc15", "#f5f5f4", "#111827"])
def test_group_badges_pick_readable_text_on_any_group_colour(group_colour):
    assert contrast_ratio(readable_on(group_colour), group_colour) >= 4.5


def test_contrast_ratio_matches_the_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert set(COLOURS) >= {name for pair in TEXT_PAIRS for name in pair}
