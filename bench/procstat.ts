/**
 * CPU time and memory of processes, from /proc (Linux): for benchmarks that report what the
 * Librarian's processes and the Temporal server spent, not only how long the work took.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ: clock ticks per second in /proc/PID/stat on Linux

/** CPU seconds (user + system) of a process so far, its waited-for children included; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces), from field 3 on.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS;
  } catch {
    return 0;
  }
}

/** Resident memory of a process in MB (VmRSS). */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Processes whose command line matches (e.g. the Temporal server started for a benchmark). */
export function pidsMatching(re: RegExp): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (re.test(readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' '))) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
