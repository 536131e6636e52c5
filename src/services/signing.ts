import { Clock, Effect, Redacted } from "effect"
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

/** The teacher key derived from the CSRF secret when no TEACHER_TOKEN_SECRET is set. */
export const deriveTeacherSecret = (csrfSecret: Redacted.Redacted<string>) =>
  Redacted.make(createHmac("sha256", Redacted.value(csrfSecret)).update("teacher-grant").digest("hex"))

/** A teacher grant is bound to one session: the MAC covers the session id and the expiry. */
const grantMessage = (sessionId: string) => (expire: number) => `teacher:${sessionId}:${expire}`

export const verifyTeacherGrant = (secret: Redacted.Redacted<string>, sessionId: string, token: string) =>
  verifySigned(secret, grantMessage(sessionId), token)

export interface TeacherGrantSigner {
  readonly secret: Redacted.Redacted<string>
  /** where teachers connect, e.g. ws://localhost:8001 (reference `BACKEND_B_WS_URL`) */
  readonly wsBaseUrl: string
  readonly ttlSeconds: number
}

/** Teacher access as a signed, expiring socket grant: `<ws base>/ws/teacher/<session>?token=<grant>`. */
export const signedTeacherAccess = (signer: TeacherGrantSigner) =>
  TeacherAccess.of({
    grant: Effect.fn("TeacherAccess.grant")(function*(sessionId, options) {
      const token = yield* issueSigned(signer.secret, grantMessage(sessionId), signer.ttlSeconds)
      const base = (options?.baseUrl ?? signer.wsBaseUrl).replace(/\/+$/, "")
      return `${base}/ws/teacher/${encodeURIComponent(sessionId)}?token=${encodeURIComponent(token)}`
    })
  })
