"""Tables that fit the terminal (80 columns in CI logs) without cutting a value.

Rich shrinks a wide table by cutting cells (`2026-1…`) or wrapping them mid-word. Here the
columns the caller calls wrappable (prose such as a licence expression) may wrap between words,
and the least useful columns are dropped, in the order the caller gives, until every value fits
whole; what is dropped is still in `--json`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

_PER_COLUMN = 3  # rich's default box: one border and one space of padding each side


def _width(cell: str) -> int:
    return max((Text.from_markup(line).cell_len for line in cell.splitlines()), default=0)


def _word_width(cell: str) -> int:
    """The narrowest a cell gets when it wraps between words: its longest word."""
    words = Text.from_markup(cell).plain.split()
    return max((Text(w).cell_len for w in words), default=0)


def fitted(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    droppable: Sequence[str] = (),
    wrappable: Sequence[str] = (),
    **table_kw: object,
) -> Table:
    """A Table of `rows` that fits `width` with no value cut: `wrappable` headers wrap between
    words when needed, then `droppable` headers go, first-listed first."""
    widths = {h: max([_width(h), *(_width(r[i]) for r in rows)]) for i, h in enumerate(headers)}
    narrowest = dict(widths)
    for i, h in enumerate(headers):
        if h in wrappable:
            narrowest[h] = max([_width(h), *(_word_width(r[i]) for r in rows)])
    shown = list(headers)
    for name in droppable:
        if sum(narrowest[h] for h in shown) + _PER_COLUMN * len(shown) + 1 <= width:
            break
        shown.remove(name)
    table = Table(**table_kw)  # type: ignore[arg-type]
    for h in shown:
        # A wrappable column never shrinks below its longest word, so no word is cut.
        table.add_column(h, no_wrap=h not in wrappable, min_width=narrowest[h])
    index = [headers.index(h) for h in shown]
    for r in rows:
        table.add_row(*(r[i] for i in index))
    return table
