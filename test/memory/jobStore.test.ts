import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { jobStoreMemory } from "../../src/layers/memory/jobStore.ts"
import { type Job, JobStore } from "../../src/services/JobStore.ts"

const complete = (job: Job): Job => ({ ...job, status: "complete", completedAt: 1 })

const store = jobStoreMemory({ sweepEvery: "1 day", finishedTtl: "1 hour", maxFinished: 2 })

const create = (studentText: string) => Effect.flatMap(JobStore, (jobs) => jobs.create({ sessionId: "s", studentText }))

describe("jobStoreMemory", () => {
  it.effect("keeps at most maxFinished finished jobs, dropping the one finished longest ago; running jobs stay", () =>
    Effect.gen(function*() {
      const jobs = yield* JobStore
      const a = yield* create("a")
      const b = yield* create("b")
      const c = yield* create("c")
      const d = yield* create("d")
      const running = yield* create("running")
      // finished in the order a, c, b: b's finishing makes three, so a goes
      yield* jobs.update(a.id, complete)
      yield* jobs.update(c.id, complete)
      assert.strictEqual((yield* jobs.get(a.id)).status, "complete")
      yield* jobs.update(b.id, complete)
      yield* jobs.update(d.id, complete)

      const gone = yield* Effect.forEach([a, c], (job) => Effect.flip(jobs.get(job.id)))
      assert.deepStrictEqual(gone.map((error) => error._tag), ["JobNotFound", "JobNotFound"])
      const kept = yield* Effect.forEach([b, d, running], (job) => jobs.get(job.id))
      assert.deepStrictEqual(kept.map((job) => job.status), ["complete", "complete", "pending"])
    }).pipe(Effect.provide(store)))
})
