import { Clock, Effect, Random, Redacted, Schema } from "effect"
import { AccessToken, RoomAgentDispatch, RoomConfiguration } from "livekit-server-sdk"
import { LiveKitConfig } from "./config.ts"

/** Worker names (reference literals); the student token dispatches the orchestrator by name. */
export const ORCHESTRATOR_WORKER = "learning-orchestrator"
export const ENGLISH_WORKER = "learning-english"

export const STUDENT_TOKEN_TTL_SECONDS = 60 * 60
export const TEACHER_TOKEN_TTL_SECONDS = 60 * 60

const ROOM_PREFIX = "tutor-"

/** Session ids become room names, so they are kept to characters every LiveKit client accepts. */
export const SessionId = Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9_-]{1,64}$/)))

/** One room per tutoring session (the reference put every student into `tutor-room`). */
export const roomForSession = (sessionId: string): string => `${ROOM_PREFIX}${sessionId}`

/** The session a room belongs to; a room made some other way is its own session. */
export const sessionForRoom = (roomName: string): string =>
  roomName.startsWith(ROOM_PREFIX) && roomName.length > ROOM_PREFIX.length ? roomName.slice(ROOM_PREFIX.length) : roomName

/** Query of `GET /livekit/token` (decoded, never trusted). */
export const LiveKitTokenQuery = Schema.Struct({ session_id: SessionId })

/** Body of `GET /livekit/token`: what `livekit-client` needs to join, plus where it joined. */
export const StudentTokenResponse = Schema.Struct({
  token: Schema.String,
  url: Schema.String,
  room: Schema.String,
  identity: Schema.String
})
export type StudentTokenResponse = typeof StudentTokenResponse.Type

const sign = (token: AccessToken) =>
  Effect.tryPromise({
    try: () => token.toJwt(),
    // only a token without identity fails to sign, and both builders always set one
    catch: (cause) => new Error("LiveKit token could not be signed", { cause })
  }).pipe(Effect.orDie)

/**
 * A student's token for the room of their session: join, publish, subscribe and data, and an
 * explicit dispatch of `learning-orchestrator` so the worker joins the room with them (the
 * reference registered an agent name but never dispatched it).
 */
export const mintStudentToken = Effect.fn("Agent.mintStudentToken")(function*(sessionId: string) {
  const config = yield* LiveKitConfig
  const room = roomForSession(yield* Schema.decodeUnknownEffect(SessionId)(sessionId))
  const identity = `student-${yield* Clock.currentTimeMillis}`
  const token = new AccessToken(config.apiKey, Redacted.value(config.apiSecret), {
    identity,
    name: "Student",
    ttl: STUDENT_TOKEN_TTL_SECONDS
  })
  token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true })
  token.roomConfig = new RoomConfiguration({
    agents: [new RoomAgentDispatch({ agentName: ORCHESTRATOR_WORKER })]
  })
  const response: StudentTokenResponse = { token: yield* sign(token), url: config.url, room, identity }
  return response
})

/** Handler logic of `GET /livekit/token?session_id=`: decode the query, mint the token. */
export const studentTokenResponse = Effect.fn("Agent.studentTokenResponse")(function*(query: unknown) {
  const { session_id } = yield* Schema.decodeUnknownEffect(LiveKitTokenQuery)(query)
  return yield* mintStudentToken(session_id)
})

const TEACHER_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

/** `teacher-<8 chars>`, random so that two teachers of one session do not evict each other. */
const teacherIdentity = Effect.gen(function*() {
  let suffix = ""
  for (let i = 0; i < 8; i++) suffix += TEACHER_ID_ALPHABET[yield* Random.nextIntBetween(0, TEACHER_ID_ALPHABET.length, { halfOpen: true })]
  return `teacher-${suffix}`
})

/** A teacher's token for the room of a session: join, publish and subscribe (audio/video), 1 h. */
export const mintTeacherToken = Effect.fn("Agent.mintTeacherToken")(function*(sessionId: string) {
  const config = yield* LiveKitConfig
  const room = roomForSession(sessionId)
  const identity = yield* teacherIdentity
  const token = new AccessToken(config.apiKey, Redacted.value(config.apiSecret), {
    identity,
    name: "Teacher",
    ttl: TEACHER_TOKEN_TTL_SECONDS
  })
  token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true })
  return { token: yield* sign(token), room, identity }
})
