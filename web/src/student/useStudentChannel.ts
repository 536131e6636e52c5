import { useEffect, useRef } from "preact/hooks"
import { StudentEscalation, StudentInject, StudentType } from "../api/messages.ts"
import { decode, parseJson } from "../lib/decode.ts"

export interface StudentChannelHandlers {
  readonly onInject: (text: string) => void
  readonly onEscalation: (reason: string, teacherWsUrl: string) => void
}

/**
 * The teacher's side of the session, as the student page hears it (`GET /session/{id}/events`).
 * EventSource reconnects by itself, so a server restart only pauses it.
 */
export function useStudentChannel(sessionId: string, handlers: StudentChannelHandlers): void {
  const latest = useRef(handlers)
  latest.current = handlers
  useEffect(() => {
    const source = new EventSource(`/session/${encodeURIComponent(sessionId)}/events`)
    const receive = (event: MessageEvent<unknown>) => {
      if (typeof event.data !== "string") return
      const body = parseJson(event.data)
      const kind = decode(StudentType, body)
      if (!kind.ok) return
      if (kind.value.type === "inject") {
        const inject = decode(StudentInject, body)
        if (inject.ok) latest.current.onInject(inject.value.text)
      } else {
        const escalation = decode(StudentEscalation, body)
        if (escalation.ok) latest.current.onEscalation(escalation.value.reason, escalation.value.teacher_ws_url)
      }
    }
    source.addEventListener("message", receive)
    source.addEventListener("inject", receive)
    source.addEventListener("escalation", receive)
    return () => source.close()
  }, [sessionId])
}
