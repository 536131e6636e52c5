import { Clock, Effect, Stream } from "effect"
import { Escalation } from "../services/Escalation.ts"
import { INTERRUPTED_BY_RESTART, isFinished, type Job, JobStore } from "../services/JobStore.ts"
import { Sessions } from "../services/Sessions.ts"
import { TurnPipeline } from "../services/TurnPipeline.ts"
import { RECENT_TURNS } from "./answerTurn.ts"
import type { TurnEvent } from "./events.ts"

/** Characters of the student's text kept with a routing decision (reference: 200). */
const EXCERPT_LENGTH = 200

/** A job's transitions never undo a finished job: a late event cannot revive an errored one. */
const unlessFinished = (change: (job: Job) => Job) => (job: Job): Job => isFinished(job) ? job : change(job)

/**
 * Runs one orchestration job: answers the student's turn (text only — speech is requested
 * separately), keeps the job record current for pollers and streams, records the session's
 * transcript and routing, feeds the session's teachers, and turns an escalation of the pipeline
 * into a real one (the reference only showed a banner). The job always ends `complete` or
 * `error`, also when interrupted.
 */
export const runJob = Effect.fn("JobRunner.run")(function*(job: Job) {
  const jobs = yield* JobStore
  const sessions = yield* Sessions
  const escalation = yield* Escalation
  const pipeline = yield* TurnPipeline
  const { id, sessionId, studentText } = job
  yield* Effect.annotateCurrentSpan({ "job.id": id, "session.id": sessionId })

  const update = (change: (job: Job) => Job) => Effect.ignore(jobs.update(id, unlessFinished(change)))
  const say = (speaker: "student" | "tutor", text: string, subject: Job["subject"]) =>
    Effect.andThen(
      sessions.record(sessionId, { _tag: "Turn", speaker, text, subject }),
      escalation.toTeachers(sessionId, { type: "transcript", speaker, text, subject })
    )

  // the context is read before this turn is recorded: the pipeline gets the question separately
  const history = yield* sessions.recentTurns(sessionId, RECENT_TURNS)
  yield* say("student", studentText, null)

  const markError = (message: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      update((current) => ({ ...current, status: "error", errorMessage: message, ttsReady: false, completedAt: now })))

  const handle = (event: TurnEvent): Effect.Effect<void> => {
    switch (event.type) {
      case "classified":
        return Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          yield* update((current) => ({
            ...current,
            status: "processing",
            subject: event.subject,
            confidence: event.confidence,
            classifiedAt: now
          }))
          yield* sessions.record(sessionId, {
            _tag: "Routing",
            decision: {
              to: event.subject,
              confidence: event.confidence,
              fallback: event.fallback,
              latencyMs: event.latencyMs,
              excerpt: studentText.slice(0, EXCERPT_LENGTH)
            }
          })
        })
      case "sentence":
        return update((current) => ({ ...current, sentences: [...current.sentences, event.text] }))
      case "guardrail":
        return Effect.andThen(
          update((current) => ({
            ...current,
            interventions: [...current.interventions, { index: event.index, action: event.action }]
          })),
          sessions.record(sessionId, {
            _tag: "GuardrailFlag",
            index: event.index,
            action: event.action,
            original: event.original,
            replacement: event.replacement,
            categories: event.categories,
            scores: event.scores
          })
        )
      case "escalation":
        return Effect.gen(function*() {
          yield* update((current) => ({ ...current, finding: event.finding }))
          yield* escalation.raise({ sessionId, reason: event.reason, trigger: event.trigger, finding: event.finding })
          yield* sessions.record(sessionId, { _tag: "Escalated", reason: event.reason, trigger: event.trigger, finding: event.finding })
        })
      case "done":
        return Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          yield* update((current) => ({
            ...current,
            status: "complete",
            subject: event.subject,
            safeText: event.text,
            rawText: event.rawText,
            ttsReady: event.text.length > 0,
            completedAt: now,
            latency: event.latency,
            usage: event.usage
          }))
          yield* say("tutor", event.text, event.subject)
          yield* sessions.record(sessionId, { _tag: "Latency", latency: event.latency, usage: event.usage })
        })
      case "failed":
        return Effect.gen(function*() {
          yield* Effect.logWarning("job failed", event.stage, event.message)
          yield* markError(`${event.stage} failed: ${event.message}`)
        })
      case "audio":
        return Effect.void
    }
  }

  yield* pipeline.answer({ sessionId, studentText, history, version: "b" }).pipe(
    Stream.runForEach(handle),
    // a job cut short must not stay `processing` for its waiters; the server stopping is what
    // interrupts jobs (a cancelled job's canceller writes its own reason over this one)
    Effect.onInterrupt(() => markError(INTERRUPTED_BY_RESTART))
  )
})
