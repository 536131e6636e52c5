import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Queue, Redacted, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { TokenVerifier } from "livekit-server-sdk"
import type { LiveKitSettings } from "../../src/agent/config.ts"
import { TEACHER_COOKIE } from "../../src/http/teacherAuth.ts"
import { signedTeacherAccess } from "../../src/services/signing.ts"
import { Sessions } from "../../src/services/Sessions.ts"
import { Teachers } from "../../src/services/Teachers.ts"
import { connectTeacher, dispatch, get, openSse, openStudent, post, type Student, testServer, testSettings, waitFor } from "./harness.ts"
import {
  claimSession,
  inbox,
  newTeacher,
  openSocket,
  type SignedIn,
  signInWith,
  socketGrant,
  teacherGet,
  teacherPost
} from "./teachers.ts"

const livekit: LiveKitSettings = {
  url: "wss://livekit.example.test",
  apiKey: "APItestkey",
  apiSecret: Redacted.make("test-livekit-secret-that-is-long-enough")
}

const Escalated = Schema.Struct({ session_id: Schema.String, escalation_id: Schema.String, state: Schema.Literal("pending") })

/** The student asks for a teacher (`POST /escalate`), as the page's button does. */
const askForTeacher = (as: Student, reason = "The student asked for a teacher") =>
  Effect.flatMap(post("/escalate", { session_id: as.sessionId, reason }, { as }), (reply) =>
    Schema.decodeUnknownEffect(Escalated)(reply.body))

/** What must never reach a student or a stranger: a teacher grant or socket link. */
const expectNoGrant = (body: unknown) => {
  const text = JSON.stringify(body ?? null)
  expect(text).not.toContain("/ws/teacher/")
  expect(text).not.toContain("token=")
}

/** The next message of a queue that satisfies `match`, skipping the others. */
const next = <A>(queue: Queue.Queue<A>, match: (a: A) => boolean) =>
  Queue.take(queue).pipe(Effect.repeat({ until: match }), Effect.timeout(Duration.seconds(5)))

const isType = (type: string) => (message: unknown) =>
  typeof message === "object" && message !== null && "type" in message && message.type === type

describe("teacher sign-in", () => {
  it.live("a one-time link signs in once; the cookie is HttpOnly and SameSite=Strict; sign-out ends it", () =>
    Effect.gen(function*() {
      const teachers = yield* Teachers
      const { link } = yield* Effect.orDie(teachers.add({ name: "Ada Lovelace", email: "ada@school.example", role: "teacher" }))
      const first = yield* signInWith(link.token)
      expect(first.reply.status).toBe(200)
      expect(first.reply.body).toEqual({ name: "Ada Lovelace", email: "ada@school.example", role: "teacher" })
      const setCookie = String(first.reply.headers["set-cookie"])
      expect(setCookie).toContain(`${TEACHER_COOKIE}=`)
      expect(setCookie).toContain("HttpOnly")
      expect(setCookie).toContain("SameSite=Strict")
      // the link is spent
      const again = yield* signInWith(link.token)
      expect(again.reply.status).toBe(401)
      expect(again.cookie._tag).toBe("None")
      const cookie = `${TEACHER_COOKIE}=${first.cookie._tag === "Some" ? first.cookie.value : ""}`
      const me = yield* teacherGet("/api/teacher/me", { id: "", name: "", cookie })
      expect(me.status).toBe(200)
      expect((yield* teacherPost("/api/teacher/sign-out", {}, { id: "", name: "", cookie })).status).toBe(200)
      expect((yield* teacherGet("/api/teacher/me", { id: "", name: "", cookie })).status).toBe(401)
    }).pipe(Effect.provide(testServer())))

  it.live("guessing links is limited per address (10 a minute) and per account (5 a minute): 429", () =>
    Effect.gen(function*() {
      const teachers = yield* Teachers
      const { teacher } = yield* Effect.orDie(teachers.add({ name: "Bea", email: "bea@school.example", role: "teacher" }))
      // guesses at Bea's account: the account's budget runs out first, from any address
      const forAccount = yield* Effect.forEach(Array.from({ length: 6 }, (_, i) => i), (i) =>
        Effect.map(signInWith(`${teacher.id}.guess-${i}`), ({ reply }) => reply.status))
      expect(forAccount).toEqual([401, 401, 401, 401, 401, 429])
      // guesses at no account in particular: the address's budget of 10 (6 already spent)
      const forAddress = yield* Effect.forEach(Array.from({ length: 5 }, (_, i) => i), (i) =>
        Effect.map(signInWith(`someone-${i}.guess`), ({ reply }) => reply.status))
      expect(forAddress).toEqual([401, 401, 401, 401, 429])
    }).pipe(Effect.provide(testServer())))

  it.live("malformed or oversized sign-in bodies are 4xx JSON errors", () =>
    Effect.gen(function*() {
      expect((yield* teacherPost("/api/teacher/sign-in", {})).status).toBe(422)
      expect((yield* teacherPost("/api/teacher/sign-in", { token: "x".repeat(201) })).status).toBe(422)
      const raw = (body: string) =>
        Effect.flatMap(
          HttpClient.execute(HttpClientRequest.post("/api/teacher/sign-in").pipe(HttpClientRequest.bodyText(body, "application/json"))),
          (response) => Effect.map(response.json, (json) => [response.status, json])
        )
      expect(yield* raw("{not json")).toEqual([400, { detail: "Malformed JSON body" }])
      expect((yield* raw(JSON.stringify({ token: "x".repeat(70_000) })))[0]).toBe(413)
      const resolveWithoutNote = yield* teacherPost("/api/teacher/escalations/x/resolve", { note: "" }, yield* newTeacher("Cy"))
      expect(resolveWithoutNote.status).toBe(422)
    }).pipe(Effect.provide(testServer())))
})

describe("the escalation inbox", () => {
  it.live("a student's escalation shows live in the inbox; one teacher claims it, a second cannot; audited", () =>
    Effect.gen(function*() {
      const ada = yield* newTeacher("Ada")
      const bob = yield* newTeacher("Bob")
      const events = yield* openSse("/api/teacher/escalations/events", undefined, { cookie: ada.cookie })
      const empty = yield* next(events, (event) => event.event === "inbox")
      expect(empty.data).toEqual({ escalations: [] })

      const student = yield* openStudent
      const escalated = yield* askForTeacher(student)
      expectNoGrant(escalated)
      const live = yield* next(events, (event) => event.event === "inbox")
      expect(live.data).toMatchObject({
        escalations: [{
          escalation_id: escalated.escalation_id,
          session_id: student.sessionId,
          category: "human_request",
          severity: "standard",
          state: "open",
          claimed_by: null,
          mine: false
        }]
      })

      const claimed = yield* claimSession(ada, student.sessionId)
      expect(claimed.reply.status).toBe(200)
      expect(claimed.reply.body).toMatchObject({ state: "claimed", claimed_by: "Ada", mine: true })
      const taken = yield* teacherPost(`/api/teacher/escalations/${claimed.escalationId}/claim`, {}, bob)
      expect(taken.status).toBe(409)
      expect((yield* inbox(bob)).escalations[0]).toMatchObject({ state: "claimed", claimed_by: "Ada", mine: false })

      const resolved = yield* teacherPost(`/api/teacher/escalations/${claimed.escalationId}/resolve`, { note: "Spoke with her" }, bob)
      expect(resolved.status).toBe(403)
      expect((yield* teacherPost(`/api/teacher/escalations/${claimed.escalationId}/resolve`, { note: "Spoke with her" }, ada)).status)
        .toBe(200)
      expect((yield* inbox(ada)).escalations).toEqual([])
      const trail = yield* (yield* Teachers).auditTrail(student.sessionId)
      expect(trail.map((entry) => [entry.teacherId, entry.action])).toEqual([[ada.id, "claim"], [ada.id, "resolve"]])
    }).pipe(Effect.provide(testServer())))

  it.live("urgent escalations come first, then the oldest", () =>
    Effect.gen(function*() {
      const ada = yield* newTeacher("Ada")
      const asking = yield* openStudent
      yield* askForTeacher(asking)
      const disclosing = yield* openStudent
      yield* waitFor(disclosing, yield* dispatch(disclosing, "my dad hits me when he is drunk"))
      const order = (yield* inbox(ada)).escalations.map((item) => [item.session_id, item.severity])
      expect(order).toEqual([[disclosing.sessionId, "urgent"], [asking.sessionId, "standard"]])
    }).pipe(Effect.provide(testServer({ safety: { concern: (text) => text === "my dad hits me when he is drunk" ? "abuse_neglect" : undefined } }))))
})

describe("a claimed session", () => {
  it.live("the claimer reads the transcript, injects and hints over the socket; the student sees it; all audited", () =>
    Effect.gen(function*() {
      const ada = yield* newTeacher("Ada")
      const student = yield* openStudent
      yield* waitFor(student, yield* dispatch(student, "What is 2 + 2?"))
      const studentEvents = yield* openSse(`/session/${student.sessionId}/events`, student)
      yield* askForTeacher(student)
      const alerted = yield* next(studentEvents, (event) => event.event === "escalation")
      expectNoGrant(alerted.data)
      expect(alerted.data).toMatchObject({ type: "escalation", state: "pending" })

      yield* claimSession(ada, student.sessionId)
      expect((yield* next(studentEvents, (event) => event.event === "teacher_joined")).data).toEqual({ type: "teacher_joined" })

      const view = yield* teacherGet(`/api/teacher/sessions/${student.sessionId}`, ada)
      expect(view.status).toBe(200)
      expect(view.body).toMatchObject({ transcript: [{ speaker: "student", text: "What is 2 + 2?" }, { speaker: "tutor" }] })

      const socket = yield* openSocket(ada, student.sessionId)
      yield* next(socket.inbox, isType("connected"))
      yield* next(socket.inbox, (message) => isType("transcript")(message) && JSON.stringify(message).includes("2 + 2"))
      yield* socket.send({ type: "inject", text: "Try counting on your fingers" })
      expect((yield* next(studentEvents, (event) => event.event === "inject")).data)
        .toEqual({ type: "inject", text: "Try counting on your fingers", from: "teacher" })
      // the teacher's message is a line of the session's record, which every teacher of it sees
      expect(yield* next(socket.inbox, (message) => isType("transcript")(message) && JSON.stringify(message).includes("teacher")))
        .toEqual({ type: "transcript", speaker: "teacher", text: "Try counting on your fingers", subject: null })
      const after = yield* teacherGet(`/api/teacher/sessions/${student.sessionId}`, ada)
      expect(after.body).toHaveProperty("transcript.2", expect.objectContaining({ speaker: "teacher", text: "Try counting on your fingers" }))
      // and stays out of what the models read as the conversation
      const context = yield* (yield* Sessions).recentTurns(student.sessionId, 10)
      expect(context.map((turn) => turn.role)).toEqual(["student", "tutor"])
      yield* socket.send({ type: "hint", text: "She is doing fine" })
      yield* next(socket.inbox, isType("teacher_hint"))

      const trail = yield* (yield* Teachers).auditTrail(student.sessionId)
      // every read is there, the API's and the socket's
      expect(trail.map((entry) => entry.action)).toEqual(["claim", "read", "read", "inject", "read", "hint"])
      expect(trail.every((entry) => entry.teacherId === ada.id)).toBe(true)
      // a safeguarding lead (admin) can see the trail over the API; a teacher cannot
      expect((yield* teacherGet(`/api/teacher/sessions/${student.sessionId}/audit`, ada)).status).toBe(403)
      const lead = yield* newTeacher("Lead", "admin")
      const audited = yield* teacherGet(`/api/teacher/sessions/${student.sessionId}/audit`, lead)
      expect(audited.body).toMatchObject({
        entries: ["claim", "read", "read", "inject", "read", "hint"].map((action) => ({ teacher: "Ada", action }))
      })
    }).pipe(Effect.scoped, Effect.provide(testServer())))

  it.live("grants: another teacher's, an expired one, one for another session, or one without the cookie are refused", () =>
    Effect.gen(function*() {
      const ada = yield* newTeacher("Ada")
      const bob = yield* newTeacher("Bob")
      const student = yield* openStudent
      const other = yield* openStudent
      yield* askForTeacher(student)
      yield* askForTeacher(other)
      yield* claimSession(ada, student.sessionId)
      const grant = yield* socketGrant(ada, student.sessionId)
      const refused = (path: string, cookie?: string) =>
        connectTeacher(path, cookie === undefined ? undefined : { cookie }).pipe(Effect.scoped, Effect.result)
      // Bob holds Ada's grant but is signed in as himself
      expect((yield* refused(grant, bob.cookie))._tag).toBe("Failure")
      expect((yield* refused(grant))._tag).toBe("Failure")
      // the grant names its session
      expect((yield* refused(grant.replace(student.sessionId, other.sessionId), ada.cookie))._tag).toBe("Failure")
      const expired = yield* signedTeacherAccess({ secret: testSettings.teacherSecret, wsBaseUrl: "ws://x", ttlSeconds: -5 })
        .grant(ada.id, student.sessionId)
      const expiredUrl = new URL(expired)
      expect((yield* refused(`${expiredUrl.pathname}${expiredUrl.search}`, ada.cookie))._tag).toBe("Failure")
      // Bob has no claim: no grant, no transcript
      expect((yield* teacherPost(`/api/teacher/sessions/${student.sessionId}/socket`, {}, bob)).status).toBe(403)
      // the rightful one works
      expect((yield* refused(grant, ada.cookie))._tag).toBe("Success")
    }).pipe(Effect.provide(testServer())))

  it.live("nobody claims in time: the student gets the fallback; urgent ones say to tell a trusted adult or call emergency", () =>
    Effect.gen(function*() {
      const asking = yield* openStudent
      const askingEvents = yield* openSse(`/session/${asking.sessionId}/events`, asking)
      yield* askForTeacher(asking)
      const fallback = yield* next(askingEvents, (event) => event.event === "fallback")
      expect(fallback.data).toEqual({ type: "fallback", text: testSettings.fallbackMessages.standard })

      const disclosing = yield* openStudent
      const disclosingEvents = yield* openSse(`/session/${disclosing.sessionId}/events`, disclosing)
      yield* waitFor(disclosing, yield* dispatch(disclosing, "i want to kill myself"))
      const urgent = yield* next(disclosingEvents, (event) => event.event === "fallback")
      expect(JSON.stringify(urgent.data)).toContain("emergency number")
    }).pipe(Effect.scoped, Effect.provide(testServer({
      safety: { concern: (text) => text === "i want to kill myself" ? "self_harm" : undefined },
      settings: { teacherFallbackAfter: Duration.millis(300) }
    }))))
})

describe("who may reach a child's session through the teacher routes", () => {
  it.live("none → 401, a student → 401, a teacher without a claim → 403, the claimer → 200; refusals carry nothing", () =>
    Effect.gen(function*() {
      const ada = yield* newTeacher("Ada")
      const bob = yield* newTeacher("Bob")
      const student = yield* openStudent
      yield* waitFor(student, yield* dispatch(student, "My name is Alice Smith and I live at 12 Elm Street"))
      yield* askForTeacher(student)
      yield* claimSession(ada, student.sessionId)
      const routes = [
        { method: "GET", path: `/api/teacher/sessions/${student.sessionId}` },
        { method: "POST", path: `/api/teacher/sessions/${student.sessionId}/socket` },
        { method: "POST", path: `/api/teacher/sessions/${student.sessionId}/livekit` }
      ] as const
      for (const route of routes) {
        const asTeacher = (as?: SignedIn) => route.method === "GET" ? teacherGet(route.path, as) : teacherPost(route.path, {}, as)
        // students hold no teacher cookie: their own session's credential means nothing here
        const asStudent = route.method === "GET" ? get(route.path, student) : post(route.path, {}, { as: student })
        const replies = { none: yield* asTeacher(), student: yield* asStudent, bob: yield* asTeacher(bob), ada: yield* asTeacher(ada) }
        expect([route.path, replies.none.status, replies.student.status, replies.bob.status, replies.ada.status]).toEqual([
          route.path,
          401,
          401,
          403,
          // without LiveKit the room route is a 503 even for the claimer
          route.path.endsWith("/livekit") ? 503 : 200
        ])
        for (const refusal of [replies.none, replies.student, replies.bob]) {
          expect(JSON.stringify(refusal.body)).not.toContain("Alice Smith")
          expectNoGrant(refusal.body)
        }
      }
    }).pipe(Effect.provide(testServer())))
})

describe("Version A's room for the teacher", () => {
  it.live("with LiveKit, only the claimer gets a teacher token for the session's own room", () =>
    Effect.gen(function*() {
      const ada = yield* newTeacher("Ada")
      const bob = yield* newTeacher("Bob")
      const student = yield* openStudent
      yield* askForTeacher(student)
      yield* claimSession(ada, student.sessionId)
      const path = `/api/teacher/sessions/${student.sessionId}/livekit`
      expect((yield* teacherPost(path, {}, bob)).status).toBe(403)
      const reply = yield* teacherPost(path, {}, ada)
      expect(reply.status).toBe(200)
      const room = yield* Schema.decodeUnknownEffect(Schema.Struct({ url: Schema.String, room: Schema.String, token: Schema.String }))(
        reply.body
      )
      expect([room.url, room.room]).toEqual([livekit.url, `tutor-${student.sessionId}`])
      const claims = yield* Effect.promise(() =>
        new TokenVerifier(livekit.apiKey, Redacted.value(livekit.apiSecret)).verify(room.token))
      expect(claims.video).toMatchObject({ roomJoin: true, room: `tutor-${student.sessionId}` })
    }).pipe(Effect.provide(testServer({ settings: { livekit } }))))
})

describe("the reason a student gives when asking for a teacher", () => {
  it.live("is read by the safety check: a disclosure in it reaches the inbox as urgent, with its category", () =>
    Effect.gen(function*() {
      const ada = yield* newTeacher("Ada")
      const plain = yield* openStudent
      yield* askForTeacher(plain, "I don't understand fractions")
      const disclosing = yield* openStudent
      yield* askForTeacher(disclosing, "my mum's boyfriend hurts me")
      const items = (yield* inbox(ada)).escalations.map((item) => [item.session_id, item.category, item.severity])
      expect(items).toEqual([
        [disclosing.sessionId, "abuse_neglect", "urgent"],
        [plain.sessionId, "human_request", "standard"]
      ])
    }).pipe(Effect.provide(testServer({ safety: { concern: (text) => text.includes("hurts me") ? "abuse_neglect" : undefined } }))))
})
