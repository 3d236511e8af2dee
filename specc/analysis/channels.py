"""Which channels carry what: a value per run of channels, moved as the ops move channels.

    segments = ((64, a), (32, b))     # channels 0-63 carry a, channels 64-95 carry b
    sliced(segments, 48, 32)          # ((16, a), (16, b)): what `split [48, 32]`'s second branch reads

Receptive fields need it: after a `concat`, a `chunk` or `split` branch reads
only some of the concatenated branches' channels, so only the paths that
reach those channels count (ShuffleNet's units, Inception's routing). The
values are opaque here (`fields.py`'s `Field`); `union` says how two combine.
Runs are merged when neighbours carry equal values, so a plain network is
one run throughout.
"""

from __future__ import annotations

from typing import Any, Callable

Segments = tuple  # ((channels, value), ...), in channel order


def merged(runs) -> Segments:
    """Neighbouring runs of equal values as one; empty runs dropped."""
    out: list = []
    for count, value in runs:
        if not count:
            continue
        if out and out[-1][1] == value:
            out[-1] = (out[-1][0] + count, value)
        else:
            out.append((count, value))
    return tuple(out)


def total(segments: Segments) -> int:
    return sum(count for count, _ in segments)


def sliced(segments: Segments, start: int, count: int) -> Segments:
    """Channels start .. start + count - 1."""
    out, offset, end = [], 0, start + count
    for length, value in segments:
        lo, hi = max(offset, start), min(offset + length, end)
        if lo < hi:
            out.append((hi - lo, value))
        offset += length
    return tuple(out)


def union_of(segments: Segments, union: Callable[[list], Any]) -> Any:
    return segments[0][1] if len(segments) == 1 else union([value for _, value in segments])


def grouped(segments: Segments, groups: int, union: Callable[[list], Any]) -> list:
    """The union over each of `groups` equal groups of channels (a grouped convolution's groups)."""
    if len(segments) == 1:
        return [segments[0][1]] * groups
    size = total(segments) // groups
    return [union_of(sliced(segments, g * size, size), union) for g in range(groups)]


def capped(segments: Segments, union: Callable[[list], Any], most: int) -> Segments:
    """At most `most` runs: past that, neighbouring runs in even groups become one run carrying their union.

    A tensor gains a run with each branch a `concat` joins (DenseNet's blocks: one per layer), and every
    layer that mixes channels takes the union of them all; the cap keeps that work linear in the layers.
    """
    n = len(segments)
    if n <= most:
        return segments
    cuts = [-(-g * n // most) for g in range(most + 1)]  # ceilings: the first groups are the larger
    return merged((total(segments[a:b]), union_of(segments[a:b], union)) for a, b in zip(cuts, cuts[1:]) if a < b)


def concatenated(parts: list) -> Segments:
    return merged(run for segments in parts for run in segments)


def permuted(segments: Segments, source: Callable[[int], int]) -> Segments:
    """Output channel c carries input channel source(c)'s value (a channel shuffle)."""
    if len(segments) == 1:
        return segments
    values = [value for count, value in segments for _ in range(count)]
    return merged((1, values[source(c)]) for c in range(len(values)))


def scaled(segments: Segments, factor: int) -> Segments:
    """Each channel becomes `factor` channels (or features) carrying its value."""
    return tuple((count * factor, value) for count, value in segments)


def aligned(branches: list[Segments], union: Callable[[list], Any]) -> Segments:
    """Channel c of the result combines channel c of every branch (`add`, `mul`)."""
    if all(len(segments) == 1 for segments in branches):
        return ((branches[0][0][0], union([segments[0][1] for segments in branches])),)
    cuts = sorted({end for segments in branches for end in _ends(segments)})
    out, start = [], 0
    for end in cuts:
        out.append((end - start, union([_value_at(segments, start) for segments in branches])))
        start = end
    return merged(out)


def _ends(segments: Segments) -> list[int]:
    ends, offset = [], 0
    for count, _ in segments:
        offset += count
        ends.append(offset)
    return ends


def _value_at(segments: Segments, channel: int) -> Any:
    offset = 0
    for count, value in segments:
        offset += count
        if channel < offset:
            return value
    raise IndexError(channel)
