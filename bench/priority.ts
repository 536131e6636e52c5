/**
 * How the bench's helper processes share the two cores with the server, which their real
 * counterparts never do. The provider stub stands in for remote providers: it runs behind the
 * server, level with the turn workers (`WORKER_NICENESS`). The load generator is the measuring
 * instrument, standing in for clients on other machines: it must send and read on time whatever
 * the server's processes are doing, because a late send is counted against the server. Niceness
 * does not give that on Linux's EEVDF scheduler (a woken nice −10 thread still waited out the
 * running task's slice: 1.5–3 ms late at p99), SCHED_FIFO does; Node cannot set a policy, so
 * util-linux's `chrt` sets it for every thread of the process (later threads inherit it).
 */
import { execFileSync } from "node:child_process"
import { setPriority } from "node:os"
import { WORKER_NICENESS } from "../src/layers/pipeline/workerPool.ts"

/** How a process ended up scheduled, for the bench's header and results. */
export interface PriorityOutcome {
  readonly applied: string
  /** set when the wanted scheduling could not be applied */
  readonly warning?: string
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? ""

const renice = (pid: number, niceness: number, instead?: string): PriorityOutcome => {
  try {
    setPriority(pid, niceness)
    return instead === undefined ? { applied: `niceness ${niceness}` } : { applied: `niceness ${niceness}`, warning: instead }
  } catch (error) {
    return { applied: "unchanged", warning: `${instead === undefined ? "" : `${instead}; `}niceness ${niceness} refused (${firstLine(error)})` }
  }
}

// a child process that failed to spawn has no pid (its own error follows)
const NO_PROCESS: PriorityOutcome = { applied: "unchanged", warning: "no process" }

/** The turn workers' niceness: behind the server's HTTP process. */
export const runBehindServer = (pid: number | undefined): PriorityOutcome =>
  pid === undefined ? NO_PROCESS : renice(pid, WORKER_NICENESS)

/**
 * SCHED_FIFO at the lowest real-time priority: runs the moment it wakes. Needs root or
 * CAP_SYS_NICE; otherwise niceness −10 (also privileged), otherwise unchanged.
 */
export const runAheadOfServer = (pid: number | undefined): PriorityOutcome => {
  if (pid === undefined) return NO_PROCESS
  try {
    execFileSync("chrt", ["--all-tasks", "--fifo", "--pid", "1", String(pid)], { stdio: "ignore" })
    return { applied: "SCHED_FIFO" }
  } catch (error) {
    return renice(pid, -10, `SCHED_FIFO unavailable (${firstLine(error)})`)
  }
}
