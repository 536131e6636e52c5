/**
 * Leak check: memory before and after many spoken turns through the server. Students of 5 turns
 * each run side by side and close their sessions; the server keeps finished jobs for an hour by
 * design, so the heap is read with them and after dropping them (what the hourly sweep does).
 */
import { Effect } from "effect"
import { check, type Row } from "../report.ts"
import type { BenchServer } from "../server.ts"
import { mib } from "../stats.ts"
import { student } from "./sessions.ts"

const TURNS_PER_STUDENT = 5
/** Flat: what the heap may grow per turn, after GC, over the whole run. */
export const LEAK_BYTES_PER_TURN = 100

interface MemoryReading {
  readonly rss: number
  readonly heapUsed: number
}

const collectGarbage = Effect.promise(async () => {
  // a few passes with pauses, so weak references and finalizers settle too
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
})

const read = Effect.andThen(collectGarbage, Effect.sync((): MemoryReading => {
  const usage = process.memoryUsage()
  return { rss: usage.rss, heapUsed: usage.heapUsed }
}))

const runTurns = (server: BenchServer, nextAddress: () => string, label: string, turns: number, concurrency: number, audioBytes: number) =>
  Effect.map(
    Effect.forEach(
      Array.from({ length: Math.ceil(turns / TURNS_PER_STUDENT) }, (_, i) => i),
      (i) => student({ server, address: nextAddress() }, `bench-${label}-${i}`, TURNS_PER_STUDENT, audioBytes),
      { concurrency }
    ),
    (students) => students.flat()
  )

/** Drops finished jobs the way the retention sweep would. */
const dropJobs = (server: BenchServer, ids: ReadonlyArray<string | null>) =>
  Effect.forEach(ids, (id) => id === null ? Effect.void : server.jobs.remove(id), { discard: true })

export interface MemoryResult {
  readonly rows: ReadonlyArray<Row>
  readonly details: {
    readonly turns: number
    readonly failed: number
    readonly gcExposed: boolean
    readonly before: MemoryReading
    readonly afterWithJobs: MemoryReading
    readonly after: MemoryReading
    readonly leakBytesPerTurn: number
    readonly retainedBytesPerJob: number
  }
}

export const runMemory = (
  server: BenchServer,
  nextAddress: () => string,
  turns: number,
  concurrency: number,
  audioBytes: number,
  full: boolean
) =>
  Effect.gen(function*() {
    const warmUp = yield* runTurns(server, nextAddress, "warm", Math.min(500, Math.ceil(turns / 10)), concurrency, audioBytes)
    yield* dropJobs(server, warmUp.map((turn) => turn.jobId))
    const before = yield* read
    const outcomes = yield* runTurns(server, nextAddress, "leak", turns, concurrency, audioBytes)
    const afterWithJobs = yield* read
    yield* dropJobs(server, outcomes.map((turn) => turn.jobId))
    const after = yield* read
    const measured = outcomes.length
    const failed = outcomes.filter((turn) => !turn.ok).length
    const leakBytesPerTurn = (after.heapUsed - before.heapUsed) / measured
    const retainedBytesPerJob = (afterWithJobs.heapUsed - after.heapUsed) / Math.max(1, measured - failed)
    const gcExposed = globalThis.gc !== undefined
    const section = `memory, ${measured} turns${full ? "" : " (short mode; --full runs 10,000)"}`
    const rows: ReadonlyArray<Row> = [
      {
        section,
        metric: "RSS before → after",
        target: "flat",
        measured: `${mib(before.rss)} → ${mib(after.rss)} (${mib(afterWithJobs.rss)} with the finished jobs)`,
        verdict: "info"
      },
      {
        section,
        metric: `heap after GC, before → after${gcExposed ? "" : " (no --expose-gc!)"}`,
        target: `≤ ${LEAK_BYTES_PER_TURN} B/turn`,
        measured: `${mib(before.heapUsed)} → ${mib(after.heapUsed)} (${leakBytesPerTurn.toFixed(0)} B/turn${
          failed > 0 ? `, ${failed} turns failed` : ""
        })`,
        verdict: check(gcExposed && leakBytesPerTurn <= LEAK_BYTES_PER_TURN)
      },
      {
        section,
        metric: "finished jobs kept by the job store (1 h by design)",
        target: "—",
        measured: `${(retainedBytesPerJob / 1024).toFixed(1)} KiB/job (${mib(afterWithJobs.heapUsed)} before dropping them)`,
        verdict: "info"
      }
    ]
    const result: MemoryResult = {
      rows,
      details: { turns: measured, failed, gcExposed, before, afterWithJobs, after, leakBytesPerTurn, retainedBytesPerJob }
    }
    return result
  })
