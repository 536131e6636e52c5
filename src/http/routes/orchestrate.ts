import { Duration, Effect, Option, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { isFinished, type Job, JobStore } from "../../services/JobStore.ts"
import { TutorApi } from "../api.ts"
import { JobTimedOut } from "../errors.ts"
import { JobDispatcher, ServerShutdown } from "../lifecycle.ts"
import { RateLimits } from "../rateLimit.ts"
import { keepAlive, sseEvent, sseResponse } from "../sse.ts"
import { jobLookup, ownJob, ownJobWrite, requireStudentWrite } from "../studentAuth.ts"

/** `/wait` waits 30 s by default (reference) and never longer than 60 s (the reference had no cap). */
export const DEFAULT_WAIT_SECONDS = 30
export const MAX_WAIT_SECONDS = 60

export const toJobStatus = (job: Job) => ({
  job_id: job.id,
  status: job.status,
  subject: job.subject,
  confidence: job.confidence,
  safe_text: job.safeText,
  tts_ready: job.ttsReady,
  error_message: job.errorMessage,
  latency: job.latency,
  usage: job.usage,
  finding: job.finding
})

/**
 * A job as Server-Sent Events: `status` on every status change, `guardrail` `{index, action}`
 * when the guardrail rewrote or withheld a sentence, `sentence` for each safe sentence as the
 * guardrail releases it, then `done` (complete) or `error`.
 */
const jobEvents = (snapshots: Stream.Stream<Job>) =>
  Stream.suspend(() => {
    let status: Job["status"] | undefined
    let sent = 0
    let flagged = 0
    return Stream.flatMap(snapshots, (job) => {
      const events: Array<string> = []
      if (job.status !== status) events.push(sseEvent("status", toJobStatus(job)))
      status = job.status
      // before the sentences of the same snapshot: the intervention is recorded before its sentence is released
      job.interventions.slice(flagged).forEach(({ action, index }) => events.push(sseEvent("guardrail", { index, action })))
      flagged = job.interventions.length
      job.sentences.slice(sent).forEach((text, offset) => events.push(sseEvent("sentence", { index: sent + offset, text })))
      sent = job.sentences.length
      if (job.status === "complete") events.push(sseEvent("done", toJobStatus(job)))
      if (job.status === "error") events.push(sseEvent("error", { error_message: job.errorMessage ?? "Job failed" }))
      return Stream.fromIterable(events)
    })
  })

export const OrchestrateRoutes = HttpApiBuilder.group(TutorApi, "orchestrate", Effect.fn(function*(handlers) {
  const jobs = yield* JobStore
  const dispatcher = yield* JobDispatcher
  const limits = yield* RateLimits
  const shutdown = yield* ServerShutdown

  return handlers.handleAll({
    // answers as soon as the job exists; the work runs in a fiber owned by the server
    dispatch: Effect.fn("Orchestrate.dispatch")(function*({ payload }) {
      yield* requireStudentWrite(payload.session_id)
      yield* limits.consume("orchestrate")
      const job = yield* jobs.create({ sessionId: payload.session_id, studentText: payload.student_text })
      yield* dispatcher.dispatch(job)
      return { job_id: job.id }
    }),
    status: Effect.fn("Orchestrate.status")(function*({ params }) {
      return toJobStatus(yield* ownJob(params.job_id))
    }),
    wait: Effect.fn("Orchestrate.wait")(function*({ params, query }) {
      const current = yield* ownJobWrite(params.job_id)
      // a finished job is answered even with ?timeout=0
      if (isFinished(current)) return toJobStatus(current)
      const seconds = Math.min(query.timeout ?? DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS)
      const finished = yield* jobs.watch(params.job_id).pipe(
        Stream.filter(isFinished),
        Stream.runHead,
        Effect.timeoutOption(Duration.seconds(seconds)),
        jobLookup
      )
      // outer None: timed out (the job keeps running); inner None cannot happen, watch ends finished
      return toJobStatus(yield* Option.match(Option.flatten(finished), {
        onNone: () => Effect.fail(JobTimedOut.error()),
        onSome: Effect.succeed
      }))
    }),
    events: Effect.fn("Orchestrate.events")(function*({ params }) {
      yield* ownJob(params.job_id)
      const events = jobEvents(Stream.orDie(jobs.watch(params.job_id))).pipe(
        Stream.merge(keepAlive, { haltStrategy: "left" }),
        Stream.interruptWhen(shutdown.signal)
      )
      return sseResponse(events)
    })
  })
}))
