import { Effect, Option, Stream } from "effect"
import { Escalation, type EscalationTrigger } from "../services/Escalation.ts"
import type { SafetyFinding } from "../domain/safety.ts"
import type { Guardrail } from "../services/Guardrail.ts"
import type { Safety } from "../services/Safety.ts"
import { type GuardrailFlag, Sessions } from "../services/Sessions.ts"
import { type AnswerSubject, type ConversationTurn, Specialists, type Subject } from "../services/Specialists.ts"
import type { Speech } from "../services/Speech.ts"
import { answerTurn, DEFAULT_CONFIDENCE_THRESHOLD, ESCALATION_SENTENCE } from "../tutor/answerTurn.ts"
import type { TurnEvent } from "../tutor/events.ts"
import { guardSentences } from "../tutor/guardrail.ts"
import { assessLocally, concernOf, localEscalation } from "../tutor/safety.ts"
import { toSentences } from "../tutor/segmenter.ts"
import { type PipelineStep, pipelineStepData, type Speaker, transcriptData } from "./messages.ts"
import { EnglishDispatch, RoomChannel } from "./room.ts"
import type { SessionState } from "./state.ts"

/** Everything the agent's programs run on; one `ManagedRuntime` per room provides it. */
export type AgentServices =
  | Guardrail
  | Safety
  | Specialists
  | Speech
  | Escalation
  | Sessions
  | RoomChannel
  | EnglishDispatch

/** Characters of the student's text kept with a routing decision (reference: 200). */
const EXCERPT_LENGTH = 200

/** Said when the pipeline broke off mid-answer, so the student is not left in silence. */
export const ANSWER_FAILED_SENTENCE = "Sorry, I couldn't finish that answer. Could you ask me again?"

export const routingResult = (subject: AnswerSubject, question: string): string =>
  `Routing to ${subject === "english" ? "English" : subject} specialist for: ${question}`
export const escalationResult = (reason: string): string => `Escalating to teacher. Reason: ${reason}`
export const RETURNING_RESULT = "Returning to orchestrator"

export const publishStep = (step: PipelineStep | null) => RoomChannel.use((room) => room.publish(pipelineStepData(step)))

/** A line of the transcript: kept with the session, sent to its teachers and to the room. */
export const recordLine = Effect.fn("Agent.recordLine")(function*(
  state: SessionState,
  speaker: Speaker,
  text: string,
  subject: Subject | null
) {
  const sessions = yield* Sessions
  const escalation = yield* Escalation
  yield* sessions.record(state.sessionId, { _tag: "Turn", speaker, text, subject })
  yield* escalation.toTeachers(state.sessionId, { type: "transcript", speaker, text, subject })
  yield* RoomChannel.use((room) => room.publish(transcriptData({ speaker, text, subject })))
})

const recordRouting = (
  state: SessionState,
  decision: { readonly to: Subject; readonly confidence: number; readonly fallback: boolean; readonly latencyMs: number },
  studentText: string
) =>
  Sessions.use((sessions) =>
    sessions.record(state.sessionId, {
      _tag: "Routing",
      decision: { ...decision, excerpt: studentText.slice(0, EXCERPT_LENGTH) }
    })
  )

const recordFlag = (state: SessionState, flag: Omit<GuardrailFlag, "_tag">) =>
  Sessions.use((sessions) =>
    sessions.record(state.sessionId, {
      _tag: "GuardrailFlag",
      index: flag.index,
      action: flag.action,
      original: flag.original,
      replacement: flag.replacement,
      categories: flag.categories,
      scores: flag.scores
    }))

/**
 * A real escalation, recorded as an escalation event and delivered to the teachers' inbox (and
 * the student page) by the platform's Escalation service.
 */
export const raiseEscalation = Effect.fn("Agent.raiseEscalation")(function*(
  state: SessionState,
  reason: string,
  trigger: EscalationTrigger,
  finding: SafetyFinding
) {
  state.escalated = true
  // no link in it: the teacher who claims it in the inbox gets the room (src/http/routes/teacher.ts)
  const record = yield* Escalation.use((escalation) => escalation.raise({ sessionId: state.sessionId, reason, trigger, finding }))
  yield* Sessions.use((sessions) => sessions.record(state.sessionId, { _tag: "Escalated", reason, trigger, finding }))
  return record
})

/**
 * The orchestrator hands the student's utterance to a specialist. English goes to its own
 * worker: the dispatch is made before any state changes, so a failed dispatch leaves the
 * session as it was.
 */
export const routeToSpecialist = Effect.fn("Agent.routeToSpecialist")(function*(
  state: SessionState,
  subject: AnswerSubject,
  question: string
) {
  yield* publishStep("orchestrator")
  if (subject === "english") {
    yield* EnglishDispatch.use((english) => english.dispatch(state.roomName, { sessionId: state.sessionId, question }))
  }
  state.markRouting()
  state.currentSubject = subject
  // the orchestrator is an LLM choosing a tool: it has no calibrated confidence to record
  yield* recordRouting(state, { to: subject, confidence: 1, fallback: false, latencyMs: 0 }, question)
  yield* publishStep("specialist")
  return routingResult(subject, question)
})

/**
 * The orchestrator's `escalate_to_teacher` tool. The LLM gives a reason, not a category: the
 * local safety model reads the reason to name one.
 */
export const escalateToTeacher = Effect.fn("Agent.escalateToTeacher")(function*(state: SessionState, reason: string) {
  yield* publishStep("orchestrator")
  yield* recordRouting(state, { to: "escalate", confidence: 1, fallback: false, latencyMs: 0 }, reason)
  const local = yield* assessLocally(reason, [])
  const { finding } = concernOf(local.category, [
    { check: "classifier", label: "escalate_to_teacher", score: 1 },
    ...local.evidence
  ])
  yield* raiseEscalation(state, reason, "classifier", finding)
  yield* publishStep(null)
  return escalationResult(reason)
})

/**
 * Version A's orchestrator runs the local safety check on each new utterance before its LLM
 * reads it: a concern (or an unsure personal message) is escalated here and answered with the
 * category's reply, and the LLM never sees it. Returns the sentences to say, or none to go on.
 */
export const safetyFirst = Effect.fn("Agent.safetyFirst")(function*(
  state: SessionState,
  question: string,
  history: ReadonlyArray<ConversationTurn>
) {
  const local = yield* assessLocally(question, history)
  const decided = localEscalation(local)
  if (decided === undefined) return undefined
  yield* publishStep("orchestrator")
  yield* recordRouting(state, { to: "escalate", confidence: local.score, fallback: false, latencyMs: 0 }, question)
  yield* raiseEscalation(state, decided.reason, "flagged_input", decided.finding)
  yield* publishStep(null)
  return [...decided.reply, ESCALATION_SENTENCE]
})

/** A specialist gives the utterance back to the orchestrator, which then owes it an answer. */
export const handBack = Effect.fn("Agent.handBack")(function*(state: SessionState) {
  state.markRouting()
  state.currentSubject = null
  yield* publishStep("orchestrator")
  return RETURNING_RESULT
})

/**
 * Runs model text through the shared segmenter and guardrail (fail closed, rewrite, apology,
 * running ahead with order kept) and yields only safe sentences; interventions are recorded.
 */
export const guardText = <E, R>(state: SessionState, text: Stream.Stream<string, E, R>) =>
  Stream.unwrap(Effect.sync(() => {
    let started = false
    let released = false
    const deltas = text.pipe(
      Stream.tap(() => {
        if (started) return Effect.void
        started = true
        return publishStep("guardrail")
      })
    )
    return guardSentences(toSentences(deltas)).pipe(
      Stream.tap((guarded) =>
        guarded.action === "passed" ? Effect.void : recordFlag(state, { ...guarded, replacement: guarded.text })),
      Stream.tap(() => {
        if (released) return Effect.void
        released = true
        return publishStep("tts")
      }),
      Stream.map((guarded) => guarded.text)
    )
  }))

/** What a specialist's turn produces for LiveKit: sentences to say, or the decision to hand back. */
export type ReplyPart =
  | { readonly _tag: "Say"; readonly text: string }
  | { readonly _tag: "HandBack" }

export interface SpecialistTurn {
  readonly subject: AnswerSubject
  readonly question: string
  /** conversation before the question, oldest first */
  readonly history: ReadonlyArray<ConversationTurn>
  /**
   * The orchestrator routed this utterance here: its decision stands (no second opinion, so no
   * ping-pong between an LLM router and the classifier).
   */
  readonly handedOver: boolean
  readonly confidenceThreshold?: number
}

/**
 * A specialist's turn on the shared program `answerTurn` (input guardrail, classification with
 * the recent turns, the Specialists stream, segmenter, guardrail, escalation), adapted to LiveKit:
 * a confident classification for another subject ends the turn with a hand-back before any
 * specialist is asked.
 */
export const specialistReply = (state: SessionState, turn: SpecialistTurn): Stream.Stream<ReplyPart, never, AgentServices> =>
  Stream.unwrap(Effect.gen(function*() {
    const specialists = yield* Specialists
    const room = yield* RoomChannel
    const threshold = turn.confidenceThreshold ?? DEFAULT_CONFIDENCE_THRESHOLD
    let answering = false
    let sentences = 0
    // this turn's view of the Specialists service: the orchestrator's routing stands in for the
    // classifier, and the first answer delta lights the guardrail stage
    const forThisTurn = Specialists.of({
      classify: turn.handedOver
        ? () => Effect.succeed({ subject: turn.subject, confidence: 1, raw: `route_to_${turn.subject}` })
        : specialists.classify,
      guess: turn.handedOver ? () => Effect.succeed(Option.none()) : specialists.guess,
      answer: (subject, question, history) =>
        specialists.answer(subject, question, history).pipe(
          Stream.tap(() => {
            if (answering) return Effect.void
            answering = true
            return room.publish(pipelineStepData("guardrail"))
          })
        )
    })
    const belongsElsewhere = (event: TurnEvent) =>
      event.type === "classified" && !turn.handedOver && !event.fallback && event.subject !== "escalate" &&
      event.subject !== turn.subject && event.confidence >= threshold

    const onEvent = (event: TurnEvent): Effect.Effect<ReadonlyArray<ReplyPart>, never, AgentServices> => {
      // the route_back_to_orchestrator tool this becomes does the hand-back itself
      if (belongsElsewhere(event)) return Effect.succeed([{ _tag: "HandBack" }])
      switch (event.type) {
        case "classified":
          return Effect.as(
            turn.handedOver ? Effect.void : recordRouting(state, {
              to: event.subject,
              confidence: event.confidence,
              fallback: event.fallback,
              latencyMs: event.latencyMs
            }, turn.question),
            []
          )
        case "sentence":
          return Effect.as(sentences++ === 0 ? publishStep("tts") : Effect.void, [{ _tag: "Say", text: event.text }])
        case "guardrail":
          return Effect.as(recordFlag(state, event), [])
        case "escalation":
          return Effect.as(raiseEscalation(state, event.reason, event.trigger, event.finding), [])
        case "done":
          return Effect.as(
            Effect.andThen(
              Sessions.use((sessions) => sessions.record(state.sessionId, { _tag: "Latency", latency: event.latency, usage: event.usage })),
              publishStep(null)
            ),
            []
          )
        case "failed":
          return Effect.as(
            Effect.andThen(Effect.logWarning("specialist turn failed", event.stage, event.message), publishStep(null)),
            [{ _tag: "Say", text: ANSWER_FAILED_SENTENCE }]
          )
        case "audio":
          return Effect.succeed([])
      }
    }

    yield* publishStep("specialist")
    return answerTurn({ sessionId: state.sessionId, studentText: turn.question, history: turn.history, version: "a" }, {
      confidenceThreshold: threshold
    }).pipe(
      Stream.provideService(Specialists, forThisTurn),
      // stops before the specialist is asked when the classification sends the student elsewhere
      Stream.takeUntil(belongsElsewhere),
      Stream.mapEffect(onEvent),
      Stream.flattenIterable,
      Stream.withSpan("agent.specialist_turn", {
        attributes: { "session.id": state.sessionId, "agent.subject": turn.subject, "agent.handed_over": turn.handedOver }
      })
    )
  }))
