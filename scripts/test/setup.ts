// Every test file here fails if it leaves sockets, servers, child processes, worker threads
// or ref'd timers behind.
import { checkLeaksPerFile } from "../../tools/test-servers/src/leak-check.js";

checkLeaksPerFile();
