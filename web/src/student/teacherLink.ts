import type { Version } from "../content.ts"

/**
 * What an escalation's `teacher_ws_url` grants. Version B (and `POST /escalate` on any server):
 * the signed teacher WebSocket, `<ws base>/ws/teacher/<session>?token=<grant>`. Version A's
 * agent: the LiveKit room, `<LiveKit url>?room=<room>&token=<LiveKit JWT>` (src/agent/tokens.ts).
 */
export type TeacherAccess =
  | { readonly kind: "socket"; readonly token: string }
  | { readonly kind: "livekit"; readonly url: string; readonly room: string; readonly token: string }

export const teacherAccess = (teacherUrl: string): TeacherAccess | null => {
  let url: URL
  try {
    url = new URL(teacherUrl)
  } catch {
    return null
  }
  const token = url.searchParams.get("token")
  if (!token) return null
  const room = url.searchParams.get("room")
  if (room === null) return { kind: "socket", token }
  // livekit-client wants the server URL alone; room and token travel separately
  url.search = ""
  return { kind: "livekit", url: url.toString(), room, token }
}

/**
 * The teacher page for a session: it opens its own WebSocket, so it needs the session and the
 * socket grant, not the URL. A LiveKit room link carries no socket grant, so it gives no page link.
 */
export const teacherLink = (version: Version, sessionId: string, teacherUrl: string): string | null => {
  const access = teacherAccess(teacherUrl)
  if (access?.kind !== "socket") return null
  return `/teacher?${new URLSearchParams({ v: version, session: sessionId, token: access.token }).toString()}`
}
