// Every test file here fails if it leaves sockets, servers, child processes, worker threads
// or ref'd timers behind.
import { checkLeaksPerFile } from "@tendril/test-servers/leak-check";

checkLeaksPerFile();
