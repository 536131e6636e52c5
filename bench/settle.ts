import { Duration, Effect } from "effect"
import { performance } from "node:perf_hooks"

/** Busy below this share of a window counts as idle. */
const IDLE_UTILIZATION = 0.2
const WINDOW = Duration.millis(250)

/**
 * Waits until this process's event loop is idle — the server has finished the work earlier load
 * left behind, including jobs whose dispatch the client gave up on — but no longer than `limit`.
 */
export const settle = (limit: Duration.Input) =>
  Effect.gen(function*() {
    let previous = performance.eventLoopUtilization()
    while (true) {
      yield* Effect.sleep(WINDOW)
      const now = performance.eventLoopUtilization()
      const busy = performance.eventLoopUtilization(now, previous).utilization
      previous = now
      if (busy < IDLE_UTILIZATION) return
    }
  }).pipe(Effect.timeoutOption(limit), Effect.asVoid)
