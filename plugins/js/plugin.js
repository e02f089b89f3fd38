// A plugin of the contract's first version, `example:plugin@0.1.0` (wit/0.1.0), in JavaScript:
// a plugin that was never rebuilt for 0.1.1, which the host serves beside the newer ones.
//
// componentize-js makes this module a component (see the justfile's `polyglot` recipe): each
// import of the world is an ES module import, each export an exported function with the
// export's name in camelCase. The contract says what each call must do; the comments here say
// only how JavaScript does it.
import { log, get, set } from "example:plugin/host@0.1.0";

// A u64 is a BigInt; BigInt arithmetic never overflows, so wrap by hand.
export function justAdd(a, b) {
  return BigInt.asUintN(64, a + b);
}

// An s32 is a Number; `| 0` wraps a sum of two s32s as two's-complement i32 addition does.
export function pointAdd(a, b) {
  return { x: (a.x + b.x) | 0, y: (a.y + b.y) | 0 };
}

export function trigger(input) {
  // Goes to the host through WASI stdout, which the host captures per plugin.
  console.log(`js plugin (0.1.0): trigger(${input})`);
  log(Math.imul(input, 2));
  set((get() + input + 5) | 0);
}
