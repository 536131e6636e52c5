import type { Version } from "../content.ts"

/**
 * The two links of an escalation. `teacher_ws_url`, on every version: the signed teacher
 * WebSocket, `<ws base>/ws/teacher/<session>?token=<grant>` (empty when Version A's agent had no
 * signing key). `livekit_url`, Version A's agent only: the LiveKit room,
 * `<LiveKit url>?room=<room>&token=<LiveKit JWT>` (src/agent/tokens.ts).
 */
export interface LiveKitRoom {
  readonly url: string
  readonly room: string
  readonly token: string
}

const parse = (link: string): URL | null => {
  try {
    return new URL(link)
  } catch {
    return null
  }
}

/** The room to join, or null when the escalation has none (B, `POST /escalate`) or it is incomplete. */
export const liveKitRoom = (liveKitUrl: string | null): LiveKitRoom | null => {
  const url = liveKitUrl === null ? null : parse(liveKitUrl)
  const room = url?.searchParams.get("room")
  const token = url?.searchParams.get("token")
  if (!url || !room || !token) return null
  // livekit-client wants the server URL alone; room and token travel separately
  url.search = ""
  return { url: url.toString(), room, token }
}

/**
 * The teacher page for a session: it opens its own WebSocket, so it needs the session and the
 * socket grant, not the URL. Only a teacher-socket link carries that grant (A escalations stored
 * before the two links were split held the room link here), so anything else gives no page link.
 */
export const teacherLink = (version: Version, sessionId: string, teacherWsUrl: string): string | null => {
  const url = parse(teacherWsUrl)
  const token = url?.pathname.includes("/ws/teacher/") ? url.searchParams.get("token") : null
  if (!token) return null
  return `/teacher?${new URLSearchParams({ v: version, session: sessionId, token }).toString()}`
}
