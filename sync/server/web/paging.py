"""Long lists on the web pages, a page at a time (issue 16): the page number from the address,
the storage's LIMIT/OFFSET query run for it, and the links to the other pages, which keep the
rest of the address (county, station, the other lists' pages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from sync.server.storage import Page
from sync.server.web.base import WebError

PAGE_SIZE = 50  # rows per page: a screen or two at 1366×768
MAX_PAGE = 100_000


@dataclass
class Pager:
    """One page of a list: ``rows``, the ``total`` and where the page is."""

    param: str  # its page number's name in the address
    number: int  # 1-based
    size: int
    total: int
    rows: list[Any]
    query: dict[str, str]  # the address's other parameters

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    def link(self, number: int) -> str:
        query = {k: v for k, v in self.query.items() if k != self.param}
        if number > 1:
            query[self.param] = str(number)
        return "?" + urlencode(query) if query else "?"


def page_number(request: Request, param: str) -> int:
    text = request.query_params.get(param, "1") or "1"
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise WebError(400, "页码不正确：请从页面上的“上一页”“下一页”进入。")
    return int(text)


def paged(
    request: Request,
    param: str,
    fetch: Callable[[int, int], Page],
    *,
    size: int = PAGE_SIZE,
) -> Pager:
    """The page ``?{param}=N`` of a list ``fetch(limit, offset)`` returns; past the end, its
    last page."""
    number = page_number(request, param)
    got = fetch(size, (number - 1) * size)
    if not got.rows and got.total and number > 1:
        number = -(-got.total // size)
        got = fetch(size, (number - 1) * size)
    query = {k: v for k, v in request.query_params.items() if k not in ("ok", "expired")}
    return Pager(param, number, size, got.total, got.rows, query)
