import { array, boolean, type Decoded, decodeJson, literal, nullable, number, object, string } from "../lib/decode.ts"
import { ApiError, errorDetail, readJson } from "./http.ts"
import { Severity } from "./messages.ts"

/**
 * The teacher side of the server (`/api/teacher/*`, src/http/routes/teacher.ts). Every call but
 * sign-in rides on the HttpOnly teacher cookie, which the browser sends by itself on same-origin
 * requests: no token ever passes through this code.
 */

export const TeacherProfile = object({ name: string, email: string, role: literal("teacher", "admin") })
export type TeacherProfile = Decoded<typeof TeacherProfile>

export const EscalationState = literal("open", "claimed", "resolved")
export type EscalationState = Decoded<typeof EscalationState>

/** One escalation as the signed-in teacher sees it in the inbox. */
export const InboxItem = object({
  escalation_id: string,
  session_id: string,
  reason: string,
  trigger: string,
  // text, not a closed list: a category added on the server still shows (by its raw name)
  category: nullable(string),
  severity: nullable(Severity),
  raised_at: number,
  waiting_seconds: number,
  state: EscalationState,
  claimed_by: nullable(string),
  mine: boolean
})
export type InboxItem = Decoded<typeof InboxItem>

export const Inbox = object({ escalations: array(InboxItem) })

export const SessionTurn = object({ speaker: string, text: string, subject: nullable(string), at: number })
export type SessionTurn = Decoded<typeof SessionTurn>

export const TeacherSessionView = object({ session_id: string, transcript: array(SessionTurn), escalations: array(InboxItem) })
export type TeacherSessionView = Decoded<typeof TeacherSessionView>

const SocketGrant = object({ ws_url: string, expires_in: number })
const RoomGrant = object({ url: string, room: string, token: string })
export type RoomGrant = Decoded<typeof RoomGrant>

const postJson = (path: string, body?: unknown): Promise<Response> =>
  fetch(path, {
    method: "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body)
  })

const escalationPath = (id: string, action: "claim" | "resolve") => `/api/teacher/escalations/${encodeURIComponent(id)}/${action}`
const sessionPath = (id: string, rest = "") => `/api/teacher/sessions/${encodeURIComponent(id)}${rest}`

/** The failure of a teacher call, by what the page does about it. */
export const isSignedOut = (error: unknown): boolean => error instanceof ApiError && error.status === 401

export type SignInResult =
  | { readonly kind: "signed-in"; readonly profile: TeacherProfile }
  /** used, expired, unknown or cut short: only a new link helps */
  | { readonly kind: "link-invalid"; readonly detail: string }
  | { readonly kind: "rate-limited"; readonly retryAfterSeconds: number | null }

export const signIn = async (token: string): Promise<SignInResult> => {
  const response = await postJson("/api/teacher/sign-in", { token })
  if (response.status === 401) return { kind: "link-invalid", detail: await errorDetail(response) }
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get("retry-after"))
    return { kind: "rate-limited", retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null }
  }
  return { kind: "signed-in", profile: await readJson(response, TeacherProfile) }
}

/** The signed-in teacher, or null when this browser is not signed in (401). */
export const currentTeacher = async (): Promise<TeacherProfile | null> => {
  const response = await fetch("/api/teacher/me")
  if (response.status === 401) return null
  return readJson(response, TeacherProfile)
}

export const signOut = async (): Promise<void> => {
  await readJson(await postJson("/api/teacher/sign-out"), object({ signed_out: boolean }))
}

export const fetchInbox = async (): Promise<ReadonlyArray<InboxItem>> =>
  (await readJson(await fetch("/api/teacher/escalations"), Inbox)).escalations

/** 409: another teacher has it (or it was resolved); 404: no such escalation. */
export const claimEscalation = async (id: string): Promise<InboxItem> =>
  readJson(await postJson(escalationPath(id, "claim")), InboxItem)

/** 403: the escalation is not claimed by this teacher. */
export const resolveEscalation = async (id: string, note: string): Promise<InboxItem> =>
  readJson(await postJson(escalationPath(id, "resolve"), { note }), InboxItem)

/** 403: this teacher holds no claim on the session (admins excepted). */
export const fetchTeacherSession = async (sessionId: string): Promise<TeacherSessionView> =>
  readJson(await fetch(sessionPath(sessionId)), TeacherSessionView)

/**
 * The URL to open the session's teacher socket with a fresh grant (it lasts minutes, so one is
 * asked for on every connect). The server's `ws_url` names its own host; the socket is opened on
 * this page's origin instead, so it also works behind the dev proxy or a reverse proxy.
 */
export const teacherSocketUrl = async (sessionId: string): Promise<string> => {
  const grant = await readJson(await postJson(sessionPath(sessionId, "/socket")), SocketGrant)
  let token: string | null = null
  try {
    token = new URL(grant.ws_url).searchParams.get("token")
  } catch {
    token = null
  }
  if (!token) throw new ApiError(200, "the socket grant carries no token")
  const scheme = window.location.protocol === "https:" ? "wss" : "ws"
  return `${scheme}://${window.location.host}/ws/teacher/${encodeURIComponent(sessionId)}?token=${encodeURIComponent(token)}`
}

/** 503 when this server has no LiveKit. */
export const teacherRoomGrant = async (sessionId: string): Promise<RoomGrant> =>
  readJson(await postJson(sessionPath(sessionId, "/livekit")), RoomGrant)

export interface InboxHandlers {
  readonly onInbox: (items: ReadonlyArray<InboxItem>) => void
  /** whether the live stream is up; while it is down the inbox is polled once per retry */
  readonly onLive: (live: boolean) => void
  readonly onFailure: (error: unknown) => void
}

const RETRY_MS = [1_000, 3_000, 10_000, 30_000] as const

/**
 * Follows the inbox over `GET /api/teacher/escalations/events`: every `inbox` event is the whole
 * inbox, so a snapshot simply replaces the last one. When the stream breaks it is reopened with
 * back-off (not left to the browser, which gives up for good on a 401 or a proxy's 502), and the
 * inbox is read once with a plain GET meanwhile so the page does not show a stale list.
 * Returns the function that stops following.
 */
export const followInbox = (handlers: InboxHandlers): (() => void) => {
  let source: EventSource | null = null
  let stopped = false
  let attempt = 0
  let retry: ReturnType<typeof setTimeout> | undefined

  const open = () => {
    const stream = new EventSource("/api/teacher/escalations/events")
    source = stream
    stream.addEventListener("inbox", (event) => {
      if (!(event instanceof MessageEvent) || typeof event.data !== "string") return
      const inbox = decodeJson(Inbox, event.data)
      if (!inbox.ok) {
        handlers.onFailure(new ApiError(200, `unexpected inbox event: ${inbox.error}`))
        return
      }
      attempt = 0
      handlers.onLive(true)
      handlers.onInbox(inbox.value.escalations)
    })
    stream.addEventListener("error", () => {
      stream.close()
      if (stopped) return
      handlers.onLive(false)
      fetchInbox().then(
        (items) => {
          if (!stopped) handlers.onInbox(items)
        },
        (failure: unknown) => {
          if (!stopped) handlers.onFailure(failure)
        }
      )
      retry = setTimeout(open, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)])
    })
  }

  open()
  return () => {
    stopped = true
    clearTimeout(retry)
    source?.close()
  }
}
