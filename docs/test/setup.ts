// Every test file here fails if it leaves sockets, servers, child processes, worker threads,
// ref'd timers or live green threads behind. Core is loaded after the test file, so a file
// that configures core through the environment before importing it still can.
import { checkLeaksPerFile } from "@tendril/test-servers/leak-check";

checkLeaksPerFile({ threads: () => import("@tendril/core") });
