"""Tables at 80 columns (CI logs): no value is cut; prose wraps between words; the least
useful column goes only when wrapping is not enough."""

from __future__ import annotations

import io

from rich.console import Console

from flotilla.tables import fitted

HEADERS = ("package", "version", "licence", "latest release", "vulnerabilities")
ROWS = [
    ["prometheus-client", "0.26.0", "MPL-2.0 AND (Apache-2.0 OR MIT)", "0.26.0 (2026-01-02)", "ok"],
    ["typing-inspection", "0.165.0", "Apache-2.0 AND BSD-2-Clause", "1.0 (2026-11-30)", "none"],
]


def render(width: int, **kw: object) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None)
    console.print(fitted(HEADERS, ROWS, width, **kw))  # type: ignore[arg-type]
    return out.getvalue().splitlines()


def test_wide_enough_shows_everything_on_one_line_per_row() -> None:
    lines = render(120, droppable=("latest release",), wrappable=("licence",))
    text = "\n".join(lines)
    assert "MPL-2.0 AND (Apache-2.0 OR MIT)" in text and "latest release" in text
    assert len(lines) == 6  # top rule, header, rule, two rows, bottom rule


def test_at_80_columns_the_licence_wraps_between_words_and_nothing_is_cut() -> None:
    lines = render(80, droppable=("latest release",), wrappable=("licence", "vulnerabilities"))
    text = "\n".join(lines)
    assert "…" not in text and max(len(line) for line in lines) <= 80
    words = ("prometheus-client", "typing-inspection", "0.165.0", "(Apache-2.0", "BSD-2-Clause")
    for word in words:
        assert word in text
    assert "vulnerabilities" in text  # the header whole


def test_without_wrappable_columns_the_droppable_one_goes_first() -> None:
    lines = render(80, droppable=("latest release",))
    text = "\n".join(lines)
    assert "latest release" not in text and "2026-11-30" not in text
    assert "MPL-2.0 AND (Apache-2.0 OR MIT)" in text and "…" not in text
    assert max(len(line) for line in lines) <= 80
