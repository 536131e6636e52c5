import { Cause, Context, Deferred, Effect, FiberMap, Layer } from "effect"
import type { Escalation } from "../services/Escalation.ts"
import type { Job, JobStore } from "../services/JobStore.ts"
import type { Sessions } from "../services/Sessions.ts"
import type { TurnPipeline } from "../services/TurnPipeline.ts"
import { runJob } from "../tutor/jobRunner.ts"

/**
 * Completes when the server starts shutting down, before it waits for open connections:
 * long-lived responses (SSE, teacher sockets) end on it instead of holding the shutdown.
 */
export class ServerShutdown extends Context.Service<ServerShutdown, {
  readonly signal: Effect.Effect<void>
  readonly trigger: Effect.Effect<void>
}>()("http/ServerShutdown") {
  static readonly layer = Layer.effect(
    ServerShutdown,
    Effect.map(Deferred.make<void>(), (deferred) =>
      ServerShutdown.of({ signal: Deferred.await(deferred), trigger: Effect.asVoid(Deferred.succeed(deferred, undefined)) }))
  )

  /**
   * Triggers the signal when released. Build it after the HTTP server (provide the server to it):
   * layers release in reverse order, so the signal fires before the server waits for connections.
   */
  static readonly triggerOnRelease = Layer.effectDiscard(
    Effect.flatMap(ServerShutdown, (shutdown) => Effect.addFinalizer(() => shutdown.trigger))
  )
}

/** What a job needs to run: where its turn is answered and the session services. */
export type JobRequirements = TurnPipeline | JobStore | Sessions | Escalation

/**
 * Runs orchestration jobs in fibers owned by the server's scope: a dispatch returns at once,
 * a job can be cancelled by id, and every job still running is interrupted on shutdown.
 */
export class JobDispatcher extends Context.Service<JobDispatcher, {
  readonly dispatch: (job: Job) => Effect.Effect<void>
  readonly cancel: (jobId: string) => Effect.Effect<void>
}>()("http/JobDispatcher") {
  static readonly layer = Layer.effect(
    JobDispatcher,
    Effect.gen(function*() {
      const fibers = yield* FiberMap.make<string>()
      const context = yield* Effect.context<JobRequirements>()
      return JobDispatcher.of({
        dispatch: (job) =>
          FiberMap.run(
            fibers,
            job.id,
            runJob(job).pipe(
              // a defect in a job is a bug: say so instead of letting the fiber end quietly
              Effect.tapCause((cause) =>
                Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("job crashed", job.id, cause)),
              Effect.provideContext(context)
            ),
            // started on the scheduler's next turn, not inside the dispatch: the job's first steps
            // (reading the session, recording the question, sending the turn to a worker) would
            // otherwise run before the dispatch's answer leaves (bench: server p50 at 50 req/s
            // 2.3–2.9 → 1.8–2.0 ms)
            { startImmediately: false }
          ).pipe(Effect.asVoid),
        cancel: (jobId) => FiberMap.remove(fibers, jobId)
      })
    })
  )
}
