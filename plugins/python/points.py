"""Point arithmetic as the contract `example:plugin` says it wraps."""

from wit_world.imports.types import Point

# Python's integers never overflow, so the contract's wrapping is done by hand.
U64_MODULUS = 1 << 64
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def wrap_i32(value: int) -> int:
    """`value` wrapped into an i32, as two's-complement addition wraps."""
    return (value - I32_MIN) % (1 << 32) + I32_MIN


def add_points(a: Point, b: Point) -> Point:
    """The field-wise sum of `a` and `b`, each field wrapping as `i32`."""
    return Point(x=wrap_i32(a.x + b.x), y=wrap_i32(a.y + b.y))
