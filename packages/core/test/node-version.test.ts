import { checkNodeVersion, MINIMUM_NODE_VERSION, TendrilError } from "@tendril/core";
import { describe, expect, test } from "vitest";

describe("checkNodeVersion", () => {
  test("the minimum is Node 20.12", () => {
    expect(MINIMUM_NODE_VERSION).toBe("20.12");
  });

  test.each(["18.20.8", "v18.0.0", "16.20.2", "20.0.0", "20.11.1", "20.9.0", "19.99.99"])(
    "%s is refused with a TendrilError naming the minimum and the version",
    (version) => {
      let caught: unknown;
      try {
        checkNodeVersion(version);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TendrilError);
      expect((caught as TendrilError).code).toBe("ERR_TENDRIL_NODE_VERSION");
      expect((caught as TendrilError).message).toBe(
        `Tendril needs Node >= 20.12, you have ${version.replace(/^v/, "")}`,
      );
    },
  );

  test.each([
    "20.12.0",
    "v20.12.0",
    "20.20.2",
    "21.0.0",
    "22.1.0",
    "24.21.0",
    "26.0.0-pre",
    "100.0.0",
  ])("%s is accepted", (version) => {
    expect(() => checkNodeVersion(version)).not.toThrow();
  });

  test("versions are compared as numbers, not as text", () => {
    // As text "20.9" sorts after "20.12"; as numbers it is older.
    expect(() => checkNodeVersion("20.9.0")).toThrow(/you have 20\.9\.0/);
    expect(() => checkNodeVersion("20.100.0")).not.toThrow();
    expect(() => checkNodeVersion("3.0.0")).toThrow(TendrilError);
  });

  test("something that is not a version string is a TypeError naming it", () => {
    expect(() => checkNodeVersion("eighteen")).toThrow(
      new TypeError(
        'checkNodeVersion: expected a Node.js version such as "20.12.0", received "eighteen"',
      ),
    );
    expect(() => checkNodeVersion("")).toThrow(TypeError);
    expect(() => checkNodeVersion(18 as unknown as string)).toThrow(/received 18$/);
  });

  test("with no argument it checks the running Node.js, which the test suite runs on", () => {
    expect(() => checkNodeVersion()).not.toThrow();
  });
});
