import { Clock, Effect, Option, Redacted } from "effect"
import { createHmac, timingSafeEqual } from "node:crypto"
import { TeacherAccess } from "./Escalation.ts"

/**
 * Stateless HMAC tokens, shared by the server (CSRF tokens, teacher grants) and the Version A
 * agent (teacher grants): both sides must produce and check the very same bytes, so there is
 * one implementation for both.
 */

const hmacHex = (secret: Redacted.Redacted<string>, message: string) =>
  createHmac("sha256", Redacted.value(secret)).update(message, "utf8").digest("hex")

const nowSeconds = Effect.map(Clock.currentTimeMillis, (millis) => Math.floor(millis / 1000))

/** `<expire>:<hex hmac of message(expire)>`: a stateless token that proves it was issued with `secret`. */
export const issueSigned = (secret: Redacted.Redacted<string>, message: (expire: number) => string, ttlSeconds: number) =>
  Effect.map(nowSeconds, (now) => {
    const expire = now + ttlSeconds
    return `${expire}:${hmacHex(secret, message(expire))}`
  })

/** Valid while the clock has not passed `expire` (still valid during its expiry second) and the MAC matches. */
export const verifySigned = (secret: Redacted.Redacted<string>, message: (expire: number) => string, token: string) =>
  Effect.map(nowSeconds, (now) => {
    const separator = token.indexOf(":")
    const expireText = token.slice(0, separator)
    if (separator < 1 || !/^\d+$/.test(expireText)) return false
    const expire = Number(expireText)
    if (now > expire) return false
    const given = Buffer.from(token.slice(separator + 1), "utf8")
    const expected = Buffer.from(hmacHex(secret, message(expire)), "utf8")
    return given.length === expected.length && timingSafeEqual(given, expected)
  })

/**
 * A token that names what it is for: `<subject>:<expire>:<hmac of purpose, subject and expire>`.
 * The subject (a session id) is read back from the token, so one request can carry several
 * (a browser with two student tabs) and each is checked on its own.
 */
export const issueBound = (secret: Redacted.Redacted<string>, purpose: string, subject: string, ttlSeconds: number) =>
  Effect.map(issueSigned(secret, (expire) => `${purpose}:${subject}:${expire}`, ttlSeconds), (signed) => `${subject}:${signed}`)

/** The subject of a valid, unexpired token issued for `purpose`; none for anything else. */
export const verifyBound = (secret: Redacted.Redacted<string>, purpose: string, token: string) => {
  const expireAt = token.lastIndexOf(":", token.lastIndexOf(":") - 1)
  const subject = token.slice(0, expireAt)
  if (expireAt < 1) return Effect.succeed(Option.none<string>())
  return Effect.map(
    verifySigned(secret, (expire) => `${purpose}:${subject}:${expire}`, token.slice(expireAt + 1)),
    (valid) => valid ? Option.some(subject) : Option.none<string>()
  )
}

/** A key derived from another for one use, so a token of one kind is never valid as another. */
export const deriveKey = (secret: Redacted.Redacted<string>, use: string) =>
  Redacted.make(createHmac("sha256", Redacted.value(secret)).update(use).digest("hex"))

/** The teacher key derived from the CSRF secret when no TEACHER_TOKEN_SECRET is set. */
export const deriveTeacherSecret = (csrfSecret: Redacted.Redacted<string>) => deriveKey(csrfSecret, "teacher-grant")

/** A teacher grant names its teacher and is bound to one session: both are under the MAC. */
const grantPurpose = (sessionId: string) => `teacher-grant:${sessionId}`

export interface TeacherGrantSigner {
  readonly secret: Redacted.Redacted<string>
  /** where teachers connect, e.g. ws://localhost:8001 (reference `BACKEND_B_WS_URL`) */
  readonly wsBaseUrl: string
  readonly ttlSeconds: number
}

/** Teacher access as a signed, short-lived socket grant: `<ws base>/ws/teacher/<session>?token=<grant>`. */
export const signedTeacherAccess = (signer: TeacherGrantSigner) =>
  TeacherAccess.of({
    grant: Effect.fn("TeacherAccess.grant")(function*(teacherId, sessionId) {
      const token = yield* issueBound(signer.secret, grantPurpose(sessionId), teacherId, signer.ttlSeconds)
      const base = signer.wsBaseUrl.replace(/\/+$/, "")
      return `${base}/ws/teacher/${encodeURIComponent(sessionId)}?token=${encodeURIComponent(token)}`
    }),
    verify: (sessionId, token) => verifyBound(signer.secret, grantPurpose(sessionId), token)
  })
