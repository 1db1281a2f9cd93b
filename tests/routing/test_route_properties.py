"""Property tests: script arithmetic behaves like 32-bit C ints."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from siprouter.core.routing.values import to_int, wrap32

I32 = st.integers(min_value=-2**31, max_value=2**31 - 1)


def c_wrap(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - 2**32 if v >= 2**31 else v


@given(st.integers(min_value=-2**40, max_value=2**40))
def test_wrap32_matches_c(v):
    assert wrap32(v) == c_wrap(v)


@given(I32)
def test_to_int_of_decimal_text_roundtrips(v):
    assert to_int(str(v)) == v and to_int(v) == v


@given(st.text(alphabet="abcxyz ", min_size=1))
def test_to_int_of_non_numeric_is_zero(s):
    assert to_int(s) == 0


@settings(max_examples=30, deadline=None)
@given(I32, I32)
def test_script_arithmetic_matches_c(h_factory, a, b):
    h = h_factory
    h.calls.clear()
    h.run(f'request_route {{ $var(a) = {a}; $var(b) = {b}; '
          f'log("$var(a)"); $var(r) = $var(a) + $var(b); log("$var(r)"); '
          f'$var(r) = $var(a) * $var(b); log("$var(r)"); $var(r) = $var(a) - $var(b); log("$var(r)"); }}')
    assert h.calls == [str(a), str(c_wrap(a + b)), str(c_wrap(a * b)), str(c_wrap(a - b))]
