"""A plugin of the contract world `example:plugin@0.1.1` (wit/0.1.1), in Python.

componentize-py generates the `wit_world` package from the WIT at build time and makes this
module a component (see the justfile's `polyglot` recipe). The contract says what each call
must do; the comments here say only how Python does it.
"""

from typing import List

import wit_world
from componentize_py_types import Err
from wit_world.imports import host
from wit_world.imports.types import (
    Level,
    PluginInfo,
    Point,
    SumError_Empty,
    SumError_Overflow,
)

# Python's integers never overflow, so the contract's wrapping is done by hand.
U64_MODULUS = 1 << 64
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def wrap_i32(value: int) -> int:
    """`value` wrapped into an i32, as two's-complement addition wraps."""
    return (value - I32_MIN) % (1 << 32) + I32_MIN


# The calls this plugin offers, in the world's order.
CALLS = ["just-add", "point-add", "trigger", "describe", "sum-points"]


class WitWorld(wit_world.WitWorld):
    def just_add(self, a: int, b: int) -> int:
        return (a + b) % U64_MODULUS

    def point_add(self, a: Point, b: Point) -> Point:
        return Point(x=wrap_i32(a.x + b.x), y=wrap_i32(a.y + b.y))

    def trigger(self, input: int) -> None:
        # Goes to the host through WASI stdout, which the host captures per plugin.
        print(f"python plugin: trigger({input}) calls log, get and set on the host")
        host.log(wrap_i32(input * 2))
        value = host.get()
        host.set(wrap_i32(value + input + 5))

    def describe(self) -> PluginInfo:
        return PluginInfo(name="python-plugin", version="0.1.0", calls=list(CALLS))

    def sum_points(self, points: List[Point]) -> Point:
        # An `err` result is raised as `Err`, as componentize-py maps `result` for exports.
        if not points:
            host.log_message(Level.WARN, "sum-points: the list is empty")
            raise Err(SumError_Empty())
        x, y = points[0].x, points[0].y
        for index, point in enumerate(points[1:], start=1):
            x, y = x + point.x, y + point.y
            if not (I32_MIN <= x <= I32_MAX and I32_MIN <= y <= I32_MAX):
                host.log_message(Level.WARN, f"sum-points: adding point {index} overflows")
                raise Err(SumError_Overflow(index))
        return Point(x=x, y=y)
