// Every test file here fails if it leaves sockets, servers, child processes, worker threads,
// ref'd timers or live green threads behind.
import { countThreads, formatThreads } from "@tendril/core";
import { checkLeaksPerFile } from "@tendril/test-servers/leak-check";

checkLeaksPerFile({ countThreads, formatThreads });
