"""Tables that fit the terminal (80 columns in CI logs) without cutting a value.

Rich shrinks a wide table by cutting cells (`2026-1…`) or wrapping them mid-word. Here the
least useful columns are dropped instead, in the order the caller gives, until every remaining
value fits on its line; what is dropped is still in `--json`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

_PER_COLUMN = 3  # rich's default box: one border and one space of padding each side


def _width(cell: str) -> int:
    return max((Text.from_markup(line).cell_len for line in cell.splitlines()), default=0)


def fitted(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    droppable: Sequence[str] = (),
    **table_kw: object,
) -> Table:
    """A Table of `rows` that fits `width`: `droppable` headers go first-listed first."""
    widths = {h: max([_width(h), *(_width(r[i]) for r in rows)]) for i, h in enumerate(headers)}
    shown = list(headers)
    for name in droppable:
        if sum(widths[h] for h in shown) + _PER_COLUMN * len(shown) + 1 <= width:
            break
        shown.remove(name)
    table = Table(**table_kw)  # type: ignore[arg-type]
    for h in shown:
        table.add_column(h, no_wrap=True)
    index = [headers.index(h) for h in shown]
    for r in rows:
        table.add_row(*(r[i] for i in index))
    return table
