"""Shape rules on huge arguments stay bounded by what they compute, not by a timer (issue 14).

The smallest input a window fits is computed in closed form (it was a loop
counting up one size at a time: `conv(6, k=1000000000000)` hung), and the
help of E0306 shows a few common divisors found in O(sqrt n), never a list
as long as the channel count.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specc.api import shapes
from specc.diagnostics import SpecError
from specc.ops import _common_divisors, smallest_fitting, window_output

HUGE = 10**12


@given(st.integers(1, 12), st.integers(1, 5), st.integers(0, 6), st.integers(1, 4), st.booleans())
def test_smallest_fitting_is_the_smallest_input_a_window_fits(k, s, p, d, ceil):
    n = smallest_fitting(k, s, p, d, ceil)
    assert window_output(n, k, s, p, d, ceil) >= 1
    assert n == 1 or window_output(n - 1, k, s, p, d, ceil) < 1
    # and it is the first such size: no smaller one fits either (a window's output grows with its input)
    assert all(window_output(m, k, s, p, d, ceil) < 1 for m in range(1, n))


@pytest.mark.parametrize("layer, axis, smallest", [
    ("conv(6, k=1000000000000)", "height", HUGE),
    ("conv(6, k=3, d=1000000000000)", "height", 2 * HUGE + 1),
    ("maxpool(k=3, d=1000000000)", "height", 2 * 10**9 + 1),  # torch's pools take 32-bit sizes: no larger
    ("avgpool(k=2000000000, s=1)", "height", 2 * 10**9),
    ("conv_transpose(4, k=1, p=1000000000000)", "height", HUGE * 2 + 1),
])
def test_huge_windows_end_in_a_located_error_at_once(layer, axis, smallest):
    with pytest.raises(SpecError) as caught:
        shapes(f"model M:\n    input 3 x 5 x 5\n    {layer}\n")
    error = caught.value
    assert error.code == "E0303"
    assert f"the smallest {axis} that fits this layer is {smallest}" in error.help


def test_huge_windows_in_one_and_three_dims():
    for sample in ("3 x 5", "3 x 5 x 5 x 5"):
        with pytest.raises(SpecError) as caught:
            shapes(f"model M:\n    input N x {sample}\n    conv(6, k=1000000000000)\n")
        assert caught.value.code == "E0303"
        assert f"is {HUGE};" in caught.value.help


def test_divisor_help_is_short_for_channel_counts_with_many_divisors():
    # 720720 has 240 divisors; the help shows the 8 smallest and says there are more.
    assert _common_divisors(720720, 720720) == "1, 2, 3, 4, 5, 6, 7, 8, ..."
    assert _common_divisors(6, 16) == "1, 2"
    assert _common_divisors(999983, 999983) == "1, 999983"  # a prime: its complement, found past sqrt
    with pytest.raises(SpecError) as caught:
        shapes("model M:\n    input 720720 x 1 x 1\n    conv(720720, k=1, g=17)\n")
    assert caught.value.code == "E0306"
    assert caught.value.help == "groups that divide both 720720 and 720720: 1, 2, 3, 4, 5, 6, 7, 8, ..."


def test_divisors_of_a_large_prime_are_found_in_sqrt_time():
    # The old help counted to the channel count itself; sqrt(10**12 + 39) is a million steps.
    assert _common_divisors(HUGE + 39, HUGE + 39) == f"1, {HUGE + 39}"


@pytest.mark.parametrize("pool", ["maxpool", "avgpool"])
@pytest.mark.parametrize("sample", ["3 x 5 x 5", "N x 3 x 5 x 5 x 5"])
@pytest.mark.parametrize("arg, fits", [("k=2147483647, ceil_mode=true", True), ("k=2147483648, ceil_mode=true", False),
                                       ("k=1, s=2147483648", False), ("k=1, s=2147483647", True)])
def test_pool_sizes_are_32_bit_ints_as_in_torch(pool, sample, arg, fits):
    torch = pytest.importorskip("torch")
    text = f"model M:\n    input {sample}\n    {pool}({arg})\n"
    rank = 4 if sample.count("x") == 2 else 5
    cls = getattr(torch.nn, f"{'Max' if pool == 'maxpool' else 'Avg'}Pool{rank - 2}d")
    keywords = dict(kernel_size=int(arg.split("k=")[1].split(",")[0]), ceil_mode="ceil" in arg)
    if "s=" in arg:
        keywords["stride"] = int(arg.split("s=")[1])
    x = torch.randn(1, 3, *([5] * (rank - 2)))
    try:
        cls(**keywords)(x)
        torch_fits = True
    except RuntimeError:
        torch_fits = False
    try:
        shapes(text)
        ours = True
    except SpecError as error:
        assert error.code in ("E0402", "E0303"), error
        ours = False
    assert ours == torch_fits == (fits and not (pool == "avgpool" and rank == 5 and "ceil" in arg))
