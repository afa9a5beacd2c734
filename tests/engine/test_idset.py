"""IdSet behaves exactly like a set of ids, and keeps ascending numeric ids as one range."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.idset import IdSet
from engine.templating import ABSENT

ids = st.one_of(
    st.integers(0, 60).map(str),
    st.integers(0, 60),
    st.sampled_from(["007", "0", "00", "", " 1", "1.0", "-1", "１", "x", None, ABSENT, True, 1.0, "9" * 40]),
)


@settings(max_examples=settings.default.max_examples * 4)  # cheap: ci 200
@given(st.lists(st.tuples(st.booleans(), ids), max_size=80))
def test_idset_is_a_set(operations: list[tuple[bool, object]]) -> None:
    ours, theirs = IdSet(), set()
    for add, value in operations:
        if add:
            assert ours.add_new(value) == (value not in theirs)
            theirs.add(value)
        assert (value in ours) == (value in theirs)
        assert len(ours) == len(theirs)
    for _, value in operations:
        assert (value in ours) == (value in theirs)


def test_ascending_ids_are_one_range() -> None:
    seen = IdSet()
    for n in range(1, 100_001):
        seen.add(str(n))
    assert len(seen) == 100_000 and "1" in seen and "100000" in seen and "100001" not in seen
    assert len(seen._starts) == 1 and not seen._other
