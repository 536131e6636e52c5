/**
 * A worker thread of the load process that ticks at each dispatch's due moment. JavaScript timers
 * have millisecond granularity (a send could leave up to 2 ms late, a large share of a 5 ms
 * target); this thread sleeps with `Atomics.wait`, which takes fractional milliseconds, so the
 * load process's event loop hears each tick within a few tens of microseconds.
 *
 * workerData: `{ interval, count }` (ms, ticks). Posts the monotonic time of tick 0 once it has
 * started, then the index of each tick as it falls due.
 */
import { parentPort, workerData } from "node:worker_threads"
import { monotonicMs } from "./protocol.ts"

/** Room between the first message and the first tick, for the parent to take it in. */
const LEAD_MS = 10

export const numberField = (data: unknown, key: string): number => {
  const value: unknown = typeof data === "object" && data !== null ? Reflect.get(data, key) : undefined
  if (typeof value !== "number") throw new TypeError(`metronome: workerData.${key} must be a number`)
  return value
}

if (parentPort !== null) {
  const interval = numberField(workerData, "interval")
  const count = numberField(workerData, "count")
  const start = monotonicMs() + LEAD_MS
  parentPort.postMessage({ start })
  const sleeper = new Int32Array(new SharedArrayBuffer(4))
  for (let i = 0; i < count; i++) {
    const wait = start + i * interval - monotonicMs()
    if (wait > 0) Atomics.wait(sleeper, 0, 0, wait)
    parentPort.postMessage(i)
  }
}
