/**
 * Test-only helpers: real servers from Debian's packages on a loopback port, for the tests of
 * packages that talk to them, and `waitFor` for conditions that live outside the virtual hub.
 * Nothing here is published: it is a devDependency of the packages whose tests use it.
 * `.ci/run` installs the servers with apt-get.
 */
export { type Figure, FigureSection } from "./figures.js";
export {
  findExecutable,
  type RedisServer,
  type RedisServerOptions,
  startRedisServer,
} from "./redis-server.js";
export {
  type WaitForOptions,
  type WaitForSteadyOptions,
  waitFor,
  waitForSteady,
} from "./wait-for.js";
