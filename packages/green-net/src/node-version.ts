/**
 * Runs first: the package's entry imports this module before any other, so on a Node.js older
 * than 20.12 the import fails with "Tendril needs Node >= 20.12, you have 18.20.8" before
 * undici (which crashes there with "File is not defined") is loaded.
 *
 * @module
 */

import { checkNodeVersion } from "@tendril/core";

checkNodeVersion();
