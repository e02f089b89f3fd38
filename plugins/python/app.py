"""A plugin of the contract world `example:plugin@0.1.2` (wit/0.1.2), in Python.

componentize-py generates the `wit_world` package from the WIT at build time and makes this
module a component (see the justfile's `polyglot` recipe). The contract says what each call
must do; the comments here say only how Python does it.
"""

from typing import List

import wit_world
import wit_world.exports
from componentize_py_types import Err
from componentize_py_async_support.streams import StreamReader
from points import I32_MAX, I32_MIN, U64_MODULUS, add_points, wrap_i32
from wit_world.imports import host, timer
from wit_world.imports.types import (
    Level,
    PluginInfo,
    Point,
    SumError_Empty,
    SumError_Overflow,
)

# The calls this plugin offers, in the world's order: its functions, then those of the
# interface it exports, a resource's as WIT writes them.
CALLS = [
    "just-add",
    "point-add",
    "trigger",
    "describe",
    "sum-points",
    "shapes#accumulator.new",
    "shapes#accumulator.add",
    "shapes#accumulator.total",
    "shapes#closed-path",
    "shapes#path-length",
    "shapes#sum-stream",
]


class WitWorld(wit_world.WitWorld):
    def just_add(self, a: int, b: int) -> int:
        return (a + b) % U64_MODULUS

    def point_add(self, a: Point, b: Point) -> Point:
        return add_points(a, b)

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


class Shapes(wit_world.exports.Shapes):
    def closed_path(self, points: List[Point]) -> host.Path:
        path = host.Path()
        for point in points:
            path.push(point)
        return path

    def path_length(self, p: host.Path) -> int:
        return p.len()

    async def sum_stream(self, points: StreamReader[Point], pause_ms: int) -> Point:
        # `read` gives what has arrived, and nothing once the host has closed the stream.
        total = Point(x=0, y=0)
        with points:
            while not points.writer_dropped:
                for point in await points.read(16):
                    total = add_points(total, point)
                    await timer.sleep(pause_ms)
        return total
