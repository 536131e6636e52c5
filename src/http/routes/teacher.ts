import { Clock, Duration, Effect, Option, Schema, Stream } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Socket } from "effect/socket"
import { LiveKitConfig } from "../../agent/config.ts"
import { mintTeacherToken } from "../../agent/tokens.ts"
import { requestedFinding } from "../../domain/safety.ts"
import { assessLocally, concernOf } from "../../tutor/safety.ts"
import {
  Escalation,
  type EscalationNotice,
  escalationNotice,
  type EscalationRecord,
  TeacherAccess
} from "../../services/Escalation.ts"
import { Sessions } from "../../services/Sessions.ts"
import { type Teacher, Teachers } from "../../services/Teachers.ts"
import { type InboxItem, StorableText, TutorApi } from "../api.ts"
import { ServerConfig } from "../config.ts"
import { AdminOnly, AlreadyClaimed, ClaimRequired, EscalationNotFound, LiveKitUnavailable, SignInLinkInvalid } from "../errors.ts"
import { ServerShutdown } from "../lifecycle.ts"
import { RateLimits } from "../rateLimit.ts"
import { keepAlive, sseEvent, sseResponse } from "../sse.ts"
import { requireStudentWrite } from "../studentAuth.ts"
import { readSignedInTeacher, SignedInTeacher, setTeacherCookie, TEACHER_COOKIE } from "../teacherAuth.ts"

export const CONNECTED_MESSAGE = "Connected as observer. You will receive transcript updates."

export const TeacherRoutes = HttpApiBuilder.group(TutorApi, "teacher", Effect.fn(function*(handlers) {
  const escalation = yield* Escalation
  const sessions = yield* Sessions
  const limits = yield* RateLimits
  return handlers.handleAll({
    escalate: Effect.fn("Teacher.escalate")(function*({ payload }) {
      const sessionId = payload.session_id
      yield* requireStudentWrite(sessionId)
      yield* limits.consume("escalate")
      // the reason is the student's (or the client's) own words: read like any message, so a
      // disclosure in it reaches the inbox as urgent, with its category, not as "asked for a teacher"
      const read = yield* assessLocally(payload.reason, [])
      const finding = read.verdict === "concern" ? concernOf(read.category, read.evidence).finding : requestedFinding("api")
      const record = yield* escalation.raise({ sessionId, reason: payload.reason, trigger: "api", finding })
      yield* sessions.record(sessionId, { _tag: "Escalated", reason: payload.reason, trigger: "api", finding })
      return { session_id: sessionId, escalation_id: record.id, state: "pending" } as const
    })
  })
}))

/** The inbox's view of an escalation, for the teacher asking. */
const inboxItem = (record: EscalationRecord, viewer: Teacher, names: ReadonlyMap<string, string>, now: number): InboxItem => ({
  escalation_id: record.id,
  session_id: record.sessionId,
  reason: record.reason,
  trigger: record.trigger,
  category: record.finding?.category ?? null,
  severity: record.finding?.severity ?? null,
  raised_at: record.raisedAt,
  waiting_seconds: Math.max(0, Math.floor(((record.claimedAt ?? now) - record.raisedAt) / 1000)),
  state: record.resolvedAt !== null ? "resolved" : record.claimedBy !== null ? "claimed" : "open",
  claimed_by: record.claimedBy === null ? null : names.get(record.claimedBy) ?? "a teacher who has left",
  mine: record.claimedBy === viewer.id
})

export const TeacherSignInRoutes = HttpApiBuilder.group(TutorApi, "teacherSignIn", Effect.fn(function*(handlers) {
  const teachers = yield* Teachers
  const limits = yield* RateLimits
  return handlers.handleAll({
    signIn: Effect.fn("Teacher.signIn")(function*({ payload }) {
      // counted before the link is tried, so guessing costs attempts per address and per account
      yield* limits.consume("teacherSignIn")
      yield* limits.consume("teacherSignInAccount", teachers.accountOfLink(payload.token))
      const teacher = yield* teachers.redeemLink(payload.token)
      if (Option.isNone(teacher)) {
        yield* Effect.logInfo("teacher sign-in refused: link used, expired or unknown")
        return yield* SignInLinkInvalid.error()
      }
      const session = yield* teachers.startSession(teacher.value.id)
      yield* setTeacherCookie(session)
      yield* Effect.logInfo("teacher signed in").pipe(Effect.annotateLogs({ teacherId: teacher.value.id }))
      return { name: teacher.value.name, email: teacher.value.email, role: teacher.value.role }
    })
  })
}))

export const TeacherInboxRoutes = HttpApiBuilder.group(TutorApi, "teacherInbox", Effect.fn(function*(handlers) {
  const teachers = yield* Teachers
  const escalation = yield* Escalation
  const sessions = yield* Sessions
  const access = yield* TeacherAccess
  const shutdown = yield* ServerShutdown
  const { livekit, teacherGrantTtl } = yield* ServerConfig

  const names = Effect.map(teachers.list, (list) => new Map(list.map((teacher) => [teacher.id, teacher.name])))
  const inboxOf = (viewer: Teacher) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const known = yield* names
      return (yield* escalation.open).map((record) => inboxItem(record, viewer, known, now))
    })

  /** Only the teacher who claimed one of the session's escalations, or an admin, gets in. */
  const requireAccess = Effect.fn("Teacher.requireAccess")(function*(sessionId: string) {
    const teacher = yield* SignedInTeacher
    if (teacher.role === "admin" || (yield* escalation.holdsClaim(sessionId, teacher.id))) return teacher
    return yield* ClaimRequired.error()
  })

  return handlers.handleAll({
    me: Effect.fn("Teacher.me")(function*() {
      const { email, name, role } = yield* SignedInTeacher
      return { name, email, role }
    }),
    signOut: Effect.fn("Teacher.signOut")(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const token = request.cookies[TEACHER_COOKIE]
      if (token !== undefined) yield* teachers.endSession(token)
      yield* setTeacherCookie(null)
      return { signed_out: true } as const
    }),
    inbox: Effect.fn("Teacher.inbox")(function*() {
      return { escalations: yield* inboxOf(yield* SignedInTeacher) }
    }),
    // the whole inbox on connect and again on every change, so a page never has to merge deltas
    inboxEvents: Effect.fn("Teacher.inboxEvents")(function*() {
      const teacher = yield* SignedInTeacher
      const snapshots = Stream.unwrap(Effect.map(escalation.inboxChanges, (changes) =>
        Stream.concat(Stream.succeed(undefined), changes).pipe(
          Stream.mapEffect(() => inboxOf(teacher)),
          Stream.map((items) => sseEvent("inbox", { escalations: items }))
        )))
      return sseResponse(snapshots.pipe(Stream.merge(keepAlive), Stream.interruptWhen(shutdown.signal)))
    }),
    claim: Effect.fn("Teacher.claim")(function*({ params }) {
      const teacher = yield* SignedInTeacher
      const outcome = yield* escalation.claim(params.escalation_id, teacher.id)
      switch (outcome._tag) {
        case "Missing":
          return yield* EscalationNotFound.error()
        case "Taken":
          return yield* AlreadyClaimed.error()
        case "Claimed": {
          yield* teachers.audit({ teacherId: teacher.id, sessionId: outcome.record.sessionId, action: "claim" })
          return inboxItem(outcome.record, teacher, yield* names, yield* Clock.currentTimeMillis)
        }
      }
    }),
    resolve: Effect.fn("Teacher.resolve")(function*({ params, payload }) {
      const teacher = yield* SignedInTeacher
      const outcome = yield* escalation.resolve(params.escalation_id, teacher.id, payload.note)
      if (outcome === "Missing") return yield* EscalationNotFound.error()
      if (outcome === "NotYours") return yield* ClaimRequired.error()
      const record = yield* Effect.flatMap(escalation.get(params.escalation_id), Option.match({
        onNone: () => Effect.fail(EscalationNotFound.error()),
        onSome: Effect.succeed
      }))
      yield* teachers.audit({ teacherId: teacher.id, sessionId: record.sessionId, action: "resolve" })
      return inboxItem(record, teacher, yield* names, yield* Clock.currentTimeMillis)
    }),
    session: Effect.fn("Teacher.session")(function*({ params }) {
      const teacher = yield* requireAccess(params.session_id)
      // written before the transcript is read: no read goes unrecorded
      yield* teachers.audit({ teacherId: teacher.id, sessionId: params.session_id, action: "read" })
      const now = yield* Clock.currentTimeMillis
      const known = yield* names
      const open = (yield* escalation.open).filter((record) => record.sessionId === params.session_id)
      return {
        session_id: params.session_id,
        transcript: (yield* sessions.transcript(params.session_id)).map((turn) => ({
          speaker: turn.speaker,
          text: turn.text,
          subject: turn.subject,
          at: turn.at
        })),
        escalations: open.map((record) => inboxItem(record, teacher, known, now))
      }
    }),
    audit: Effect.fn("Teacher.audit")(function*({ params }) {
      const viewer = yield* SignedInTeacher
      if (viewer.role !== "admin") return yield* AdminOnly.error()
      const known = yield* names
      return {
        entries: (yield* teachers.auditTrail(params.session_id)).map((entry) => ({
          teacher: known.get(entry.teacherId) ?? "a teacher who has left",
          action: entry.action,
          at: entry.at
        }))
      }
    }),
    socket: Effect.fn("Teacher.socket")(function*({ params }) {
      const teacher = yield* requireAccess(params.session_id)
      return {
        ws_url: yield* access.grant(teacher.id, params.session_id),
        expires_in: Math.floor(Duration.toSeconds(teacherGrantTtl))
      }
    }),
    room: Effect.fn("Teacher.room")(function*({ params }) {
      yield* requireAccess(params.session_id)
      if (livekit === undefined) return yield* LiveKitUnavailable.error()
      const minted = yield* mintTeacherToken(params.session_id).pipe(Effect.provideService(LiveKitConfig, livekit))
      return { url: livekit.url, room: minted.room, token: minted.token }
    })
  })
}))

const TeacherText = StorableText(1, 2_000)

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
 * `GET /ws/teacher/{session_id}?token=…` — the live view of one session for the teacher who
 * claimed it. The grant (`POST /api/teacher/sessions/{id}/socket`, short-lived, signed for that
 * teacher and that session) is checked before the upgrade, and so is the claim: otherwise an
 * HTTP 403 and no socket. Then: `connected`, the transcript so far, its open escalations, and
 * live `transcript` / `escalation` / `teacher_hint`; the teacher sends `hint` (to the session's
 * teachers), `inject` (to the student's page) and `ping`. Every read, hint and inject is audited.
 */
export const TeacherSocketRoute = HttpRouter.use(Effect.fn(function*(router) {
  const escalation = yield* Escalation
  const sessions = yield* Sessions
  const teachers = yield* Teachers
  const access = yield* TeacherAccess
  const shutdown = yield* ServerShutdown

  const session = Effect.fn("TeacherSocket.session")(function*(sessionId: string, teacherId: string) {
    const request = yield* HttpServerRequest.HttpServerRequest
    const socket = yield* request.upgrade
    // the 101 handshake happens when the reader is acquired; nothing can be written before it
    const pull = yield* Socket.readerString(socket)
    const writer = yield* socket.writer
    const send = (message: object) => writer.write(JSON.stringify(message))
    const audit = (action: "read" | "hint" | "inject") => teachers.audit({ teacherId, sessionId, action })
    // subscribed before the history is sent, so a turn between the two is not lost
    const live = yield* escalation.teacherFeed(sessionId)
    yield* send({ type: "connected", session_id: sessionId, message: CONNECTED_MESSAGE })
    yield* audit("read")
    for (const turn of yield* sessions.transcript(sessionId)) {
      yield* send({ type: "transcript", speaker: turn.speaker, text: turn.text, subject: turn.subject })
    }
    // an escalation raised between the subscription and the read of the open ones comes twice: shown once
    const shown = new Set<string>()
    const showEscalation = (notice: EscalationNotice) =>
      Effect.suspend(() => {
        if (shown.has(notice.escalation_id)) return Effect.void
        shown.add(notice.escalation_id)
        return send(notice)
      })
    const open = (yield* escalation.open).filter((record) => record.sessionId === sessionId).toReversed()
    for (const record of open) yield* showEscalation(escalationNotice(record))
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
              return Effect.andThen(
                audit("hint"),
                escalation.toTeachers(sessionId, { type: "teacher_hint", session_id: sessionId, text: command.text, from: "teacher" })
              )
            case "inject":
              return Effect.gen(function*() {
                yield* audit("inject")
                yield* escalation.toStudent(sessionId, { type: "inject", text: command.text, from: "teacher" })
                // what a teacher said to the child is part of the session's record, and every teacher sees it
                yield* sessions.record(sessionId, { _tag: "Turn", speaker: "teacher", text: command.text, subject: null })
                yield* escalation.toTeachers(sessionId, { type: "transcript", speaker: "teacher", text: command.text, subject: null })
              })
          }
        }
      })
    const conversation = pull.pipe(Effect.flatMap((frames) => Effect.forEach(frames, handle)), Effect.forever)
    yield* Effect.raceFirst(
      conversation,
      Effect.andThen(shutdown.signal, writer.write(new Socket.CloseEvent(GOING_AWAY, "server shutting down")))
    )
  })

  const refused = HttpServerResponse.jsonUnsafe(
    { detail: "Teacher grant missing, expired, not yours or not for this session, or the claim is over" },
    { status: 403 }
  )

  yield* router.add(
    "GET",
    "/ws/teacher/:session_id",
    Effect.gen(function*() {
      const { session_id } = yield* HttpRouter.params
      const query = yield* HttpServerRequest.ParsedSearchParams
      const token = query["token"]
      if (session_id === undefined || typeof token !== "string") return refused
      const granted = yield* access.verify(session_id, token)
      if (Option.isNone(granted)) return refused
      // the grant was made for the teacher signed in in this browser, and the claim still holds
      const signedIn = yield* readSignedInTeacher.pipe(Effect.provideService(Teachers, teachers))
      if (Option.isNone(signedIn) || signedIn.value.id !== granted.value) return refused
      const admitted = signedIn.value.role === "admin" || (yield* escalation.holdsClaim(session_id, granted.value))
      if (!admitted) return refused
      yield* session(session_id, granted.value).pipe(
        Effect.scoped,
        // the teacher closing the tab is the normal end of a session
        Effect.catchReason("SocketError", "SocketCloseError", () => Effect.void),
        Effect.catchTag("SocketError", (error) => Effect.logWarning("teacher socket failed", error.reason._tag))
      )
      return HttpServerResponse.empty()
    })
  )
}))
