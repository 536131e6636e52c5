import { Effect, Option, Schema, Stream } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Socket } from "effect/socket"
import { requestedFinding } from "../../domain/safety.ts"
import { Escalation, type EscalationNotice, escalationNotice, TeacherAccess } from "../../services/Escalation.ts"
import { Sessions } from "../../services/Sessions.ts"
import { verifyTeacherGrant } from "../../services/signing.ts"
import { TutorApi } from "../api.ts"
import { ServerConfig } from "../config.ts"
import { ServerShutdown } from "../lifecycle.ts"
import { RateLimits } from "../rateLimit.ts"

export const CONNECTED_MESSAGE = "Connected as observer. You will receive transcript updates."

export const TeacherRoutes = HttpApiBuilder.group(TutorApi, "teacher", Effect.fn(function*(handlers) {
  const escalation = yield* Escalation
  const access = yield* TeacherAccess
  const sessions = yield* Sessions
  const limits = yield* RateLimits
  return handlers.handleAll({
    escalate: Effect.fn("Teacher.escalate")(function*({ payload }) {
      yield* limits.consume("escalate")
      const sessionId = payload.session_id
      const teacherUrl = yield* access.grant(sessionId, { baseUrl: payload.ws_base_url ?? undefined })
      const finding = requestedFinding("api")
      yield* escalation.raise({ sessionId, reason: payload.reason, trigger: "api", teacherUrl, finding })
      yield* sessions.record(sessionId, { _tag: "Escalated", reason: payload.reason, trigger: "api", finding })
      return { teacher_ws_url: teacherUrl, session_id: sessionId }
    })
  })
}))

const TeacherText = Schema.String.pipe(Schema.check(Schema.isBetweenLength(1, 2_000)))

/** What a teacher may send. */
const TeacherCommand = Schema.Union([
  Schema.Struct({ type: Schema.Literal("hint"), text: TeacherText }),
  Schema.Struct({ type: Schema.Literal("inject"), text: TeacherText }),
  Schema.Struct({ type: Schema.Literal("ping") })
])
const decodeCommand = Schema.decodeUnknownOption(Schema.fromJsonString(TeacherCommand))

/** Close code for "going away" (RFC 6455): the server is shutting down. */
const GOING_AWAY = 1001

/**
 * `GET /ws/teacher/{session_id}?token=…` — the teacher's live view of one session. The grant
 * from `/escalate` (or a pipeline escalation) is checked before the upgrade: no or a wrong
 * token is an HTTP 403 and no socket. Then: `connected`, the transcript so far, pending
 * escalations, and live `transcript` / `escalation` / `teacher_hint`; the teacher sends
 * `hint` (to the session's teachers), `inject` (to the student's page) and `ping`.
 */
export const TeacherSocketRoute = HttpRouter.use(Effect.fn(function*(router) {
  const escalation = yield* Escalation
  const sessions = yield* Sessions
  const shutdown = yield* ServerShutdown
  const { teacherSecret } = yield* ServerConfig

  const session = Effect.fn("TeacherSocket.session")(function*(sessionId: string) {
    const request = yield* HttpServerRequest.HttpServerRequest
    const socket = yield* request.upgrade
    // the 101 handshake happens when the reader is acquired; nothing can be written before it
    const pull = yield* Socket.readerString(socket)
    const writer = yield* socket.writer
    const send = (message: object) => writer.write(JSON.stringify(message))
    // subscribed before the history is sent, so a turn between the two is not lost
    const live = yield* escalation.teacherFeed(sessionId)
    yield* send({ type: "connected", session_id: sessionId, message: CONNECTED_MESSAGE })
    for (const turn of yield* sessions.transcript(sessionId)) {
      yield* send({ type: "transcript", speaker: turn.speaker, text: turn.text, subject: turn.subject })
    }
    // an escalation raised between the subscription and the read of the pending ones comes twice: shown once
    const shown = new Set<string>()
    const showEscalation = (notice: EscalationNotice) =>
      Effect.gen(function*() {
        if (shown.has(notice.escalation_id)) return
        shown.add(notice.escalation_id)
        yield* send(notice)
        // this teacher has it now: teachers who connect later are not told again
        yield* escalation.acknowledge(notice.escalation_id)
      })
    for (const record of yield* escalation.pending(sessionId)) yield* showEscalation(escalationNotice(record))
    yield* live.pipe(
      Stream.runForEach((message) => message.type === "escalation" ? showEscalation(message) : send(message)),
      Effect.forkScoped
    )

    const handle = (frame: string) =>
      Option.match(decodeCommand(frame), {
        onNone: () =>
          send({ type: "error", message: "Expected JSON {\"type\": \"hint\" | \"inject\" | \"ping\", \"text\"?: string}" }),
        onSome: (command) => {
          switch (command.type) {
            case "ping":
              return send({ type: "pong" })
            case "hint":
              return escalation.toTeachers(sessionId, {
                type: "teacher_hint",
                session_id: sessionId,
                text: command.text,
                from: "teacher"
              })
            case "inject":
              return escalation.toStudent(sessionId, { type: "inject", text: command.text, from: "teacher" })
          }
        }
      })
    const conversation = pull.pipe(Effect.flatMap((frames) => Effect.forEach(frames, handle)), Effect.forever)
    yield* Effect.raceFirst(
      conversation,
      Effect.andThen(shutdown.signal, writer.write(new Socket.CloseEvent(GOING_AWAY, "server shutting down")))
    )
  })

  yield* router.add(
    "GET",
    "/ws/teacher/:session_id",
    Effect.gen(function*() {
      const { session_id } = yield* HttpRouter.params
      const query = yield* HttpServerRequest.ParsedSearchParams
      const token = query["token"]
      const allowed = session_id !== undefined && typeof token === "string" &&
        (yield* verifyTeacherGrant(teacherSecret, session_id, token))
      if (!allowed || session_id === undefined) {
        return HttpServerResponse.jsonUnsafe({ detail: "Teacher token missing, expired or not for this session" }, {
          status: 403
        })
      }
      yield* session(session_id).pipe(
        Effect.scoped,
        // the teacher closing the tab is the normal end of a session
        Effect.catchReason("SocketError", "SocketCloseError", () => Effect.void),
        Effect.catchTag("SocketError", (error) => Effect.logWarning("teacher socket failed", error.reason._tag))
      )
      return HttpServerResponse.empty()
    })
  )
}))
