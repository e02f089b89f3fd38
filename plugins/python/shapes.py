"""The resource `accumulator` of the interface `shapes` (`example:plugin@0.1.2`), in Python:
componentize-py finds an exported interface's resources in the module of its name.
"""

import wit_world.exports.shapes
from points import add_points
from wit_world.imports.types import Point


class Accumulator(wit_world.exports.shapes.Accumulator):
    """The `accumulator` resource: componentize-py makes a handle of each instance."""

    def __init__(self) -> None:
        self.sum = Point(x=0, y=0)

    def add(self, p: Point) -> None:
        self.sum = add_points(self.sum, p)

    def total(self) -> Point:
        return self.sum
