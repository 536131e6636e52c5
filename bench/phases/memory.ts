/**
 * Leak check: memory before and after many spoken turns through the server, whose students close
 * their sessions. The server keeps finished jobs for an hour by design (up to a number), so the
 * heap is read with them and after dropping them (what the hourly sweep does).
 */
import { Duration, Effect } from "effect"
import { DEFAULT_MAX_FINISHED_JOBS } from "../../src/layers/memory/jobStore.ts"
import { check, type Row } from "../report.ts"
import type { BenchServer } from "../server.ts"
import { mib } from "../stats.ts"
import { student, type TurnOutcome } from "./sessions.ts"

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

/** Longer than Node's keep-alive timeout (5 s): idle connections of earlier load are closed and freed. */
const IDLE_CONNECTIONS_GONE = Duration.seconds(6)

const read = Effect.sleep(IDLE_CONNECTIONS_GONE).pipe(Effect.andThen(collectGarbage), Effect.andThen(Effect.sync((): MemoryReading => {
  const usage = process.memoryUsage()
  return { rss: usage.rss, heapUsed: usage.heapUsed }
})))


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

/** Turns whose memory is checked: what they were and which jobs they left in the store. */
export interface Workload {
  readonly outcomes: ReadonlyArray<TurnOutcome>
}

/** `turns` spoken turns by students of 5 turns each, `concurrency` students at a time. */
export const studentTurns = (server: BenchServer, nextAddress: () => string, turns: number, concurrency: number, audioBytes: number) =>
  Effect.map(
    Effect.forEach(
      Array.from({ length: Math.ceil(turns / TURNS_PER_STUDENT) }, (_, i) => i),
      (i) => student({ server, address: nextAddress() }, `bench-leak-${i}`, TURNS_PER_STUDENT, audioBytes),
      { concurrency }
    ),
    (students): Workload => ({ outcomes: students.flat() })
  )

/**
 * Runs `workload` between two readings of the memory after GC (the phases before warmed the
 * process up); the second reading is taken with the finished jobs and again without them.
 */
export const withLeakCheck = <A extends Workload, E, R>(server: BenchServer, note: string, workload: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const before = yield* read
    const result = yield* workload
    const afterWithJobs = yield* read
    // the retention sweep (finished jobs expire at once on the bench server) drops them
    yield* server.jobs.expire
    const after = yield* read
    const measured = result.outcomes.length
    const failed = result.outcomes.filter((turn) => !turn.ok).length
    const leakBytesPerTurn = (after.heapUsed - before.heapUsed) / measured
    const retainedBytesPerJob = (afterWithJobs.heapUsed - after.heapUsed) / Math.max(1, measured - failed)
    const gcExposed = globalThis.gc !== undefined
    const section = `memory, ${measured} turns${note}`
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
        metric: `finished jobs kept by the job store (1 h, at most ${DEFAULT_MAX_FINISHED_JOBS.toLocaleString("en")})`,
        target: "—",
        measured: `${(retainedBytesPerJob / 1024).toFixed(1)} KiB/job (${mib(afterWithJobs.heapUsed)} before dropping them)`,
        verdict: "info"
      }
    ]
    const memory: MemoryResult = {
      rows,
      details: { turns: measured, failed, gcExposed, before, afterWithJobs, after, leakBytesPerTurn, retainedBytesPerJob }
    }
    return { result, memory }
  })
