// @tendril/core/validate: the one set of argument checks every package uses. A value of the
// wrong kind is a TypeError, one of the right kind out of range a RangeError; both name the
// argument and the value received.
import {
  checkBytes,
  checkFunction,
  checkInteger,
  checkMs,
  describeValue,
} from "@tendril/core/validate";
import { describe, expect, test } from "vitest";

describe("describeValue", () => {
  test("renders each kind of value so a reader can tell what was passed", () => {
    expect(describeValue("abc")).toBe('"abc"');
    expect(describeValue("x".repeat(100))).toBe(`"${"x".repeat(57)}..."`);
    expect(describeValue(1.5)).toBe("1.5");
    expect(describeValue(Number.NaN)).toBe("NaN");
    expect(describeValue(10n)).toBe("10");
    expect(describeValue(false)).toBe("false");
    expect(describeValue(null)).toBe("null");
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue(Symbol("s"))).toBe("Symbol(s)");
    expect(describeValue(function named() {})).toBe("function named");
    expect(describeValue(() => {})).toBe("function (anonymous)");
    expect(describeValue([1, 2, 3])).toBe("an array of length 3");
    expect(describeValue(new Map())).toBe("an instance of Map");
    expect(describeValue({ a: 1 })).toBe("an object");
    expect(describeValue(Object.create(null))).toBe("an object");
  });
});

describe("checkInteger", () => {
  test("returns an integer >= min", () => {
    expect(checkInteger("n", 0, 0)).toBe(0);
    expect(checkInteger("n", 7, 1)).toBe(7);
    expect(checkInteger("n", Number.POSITIVE_INFINITY, 0, { allowInfinity: true })).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  test("a non-number is a TypeError, a number out of range a RangeError, both naming it", () => {
    expect(() => checkInteger("pool: size", "3", 0)).toThrow(
      new TypeError('pool: size must be an integer >= 0, received "3"'),
    );
    expect(() => checkInteger("pool: size", Number.NaN, 0)).toThrow(TypeError);
    expect(() => checkInteger("pool: size", -1, 0)).toThrow(
      new RangeError("pool: size must be an integer >= 0, received -1"),
    );
    expect(() => checkInteger("pool: size", 1.5, 0)).toThrow(RangeError);
    expect(() => checkInteger("pool: size", Number.POSITIVE_INFINITY, 0)).toThrow(RangeError);
  });
});

describe("checkMs and checkBytes", () => {
  test("accept numbers >= 0 and Infinity", () => {
    expect(checkMs("t", 0)).toBe(0);
    expect(checkMs("t", 2.5)).toBe(2.5);
    expect(checkMs("t", Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(checkBytes("b", 1024)).toBe(1024);
    expect(checkBytes("b", Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  test("refuse the rest with the unit in the message", () => {
    expect(() => checkMs("connect: timeout", "5s")).toThrow(
      new TypeError('connect: timeout must be a number of milliseconds >= 0, received "5s"'),
    );
    expect(() => checkMs("connect: timeout", -1)).toThrow(RangeError);
    expect(() => checkBytes("maxBodySize", null)).toThrow(
      new TypeError("maxBodySize must be a number of bytes >= 0, received null"),
    );
    expect(() => checkBytes("maxBodySize", -5)).toThrow(RangeError);
    expect(() => checkBytes("maxBodySize", 0.5)).toThrow(RangeError);
  });
});

describe("checkFunction", () => {
  test("passes a function and refuses anything else with a TypeError naming it", () => {
    expect(() => checkFunction("spawn: fn", () => {})).not.toThrow();
    expect(() => checkFunction("spawn: fn", 42)).toThrow(
      new TypeError("spawn: fn must be a function, received 42"),
    );
  });
});
