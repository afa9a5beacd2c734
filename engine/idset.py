"""A set of item ids that stays small when the ids are ascending numbers, as listings usually return them.

Paging remembers every id it has handed out, so that a record shifted onto the next page is not
returned twice (R8). With a plain set that memory grows with the listing; here ids that are
canonical decimal strings ("1", "4017", not "007") are kept as sorted ranges of integers, so
100,000 contacts with ids 1..100,000 take one range. Membership is exactly a set's: every other
id (ints, odd strings, None, ABSENT) goes into an ordinary set, and "5" is never equal to 5.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any


def _as_number(value: Any) -> int | None:
    """The integer a canonical decimal string stands for; None for anything else."""
    if (
        type(value) is str
        and 0 < len(value) <= 30
        and value.isascii()
        and value.isdigit()
        and (value[0] != "0" or value == "0")
    ):
        return int(value)
    return None


class IdSet:
    """``add``, ``in`` and ``len`` of a set, with numeric-string ids kept as ranges."""

    __slots__ = ("_starts", "_ends", "_other", "_count")

    def __init__(self) -> None:
        self._starts: list[int] = []  # inclusive ranges [start, end], sorted and disjoint, never adjacent
        self._ends: list[int] = []
        self._other: set[Any] = set()
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __contains__(self, value: Any) -> bool:
        number = _as_number(value)
        if number is None:
            return value in self._other
        i = bisect_right(self._starts, number) - 1
        return i >= 0 and number <= self._ends[i]

    def add(self, value: Any) -> None:
        self.add_new(value)

    def add_new(self, value: Any) -> bool:
        """Add ``value``; True if it was not there yet (``x not in s`` then ``s.add(x)``, in one step)."""
        if (
            type(value) is str
            and value.isdigit()
            and value.isascii()
            and len(value) <= 30
            and (value[0] != "0" or value == "0")
        ):  # _as_number, inlined: this runs for every record
            number: int | None = int(value)
        else:
            number = None
        if number is None:
            if value in self._other:
                return False
            self._other.add(value)
            self._count += 1
            return True
        starts, ends = self._starts, self._ends
        if starts and number == ends[-1] + 1:  # the usual case: the next id up
            ends[-1] = number
            self._count += 1
            return True
        i = bisect_right(starts, number) - 1
        if i >= 0 and number <= ends[i]:
            return False  # already there
        self._count += 1
        joins_left = i >= 0 and ends[i] + 1 == number
        joins_right = i + 1 < len(starts) and starts[i + 1] - 1 == number
        if joins_left and joins_right:
            ends[i] = ends[i + 1]
            del starts[i + 1], ends[i + 1]
        elif joins_left:
            ends[i] = number
        elif joins_right:
            starts[i + 1] = number
        else:
            starts.insert(i + 1, number)
            ends.insert(i + 1, number)
        return True
