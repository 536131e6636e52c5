/**
 * The teacher page for a session, from the signed `teacher_ws_url` `POST /escalate` returned:
 * the page opens its own WebSocket, so it needs the session and the token, not the URL.
 */
export const teacherLink = (sessionId: string, teacherWsUrl: string): string | null => {
  let token: string | null = null
  try {
    token = new URL(teacherWsUrl).searchParams.get("token")
  } catch {
    return null
  }
  if (!token) return null
  return `/teacher?${new URLSearchParams({ v: "b", session: sessionId, token }).toString()}`
}
