import { useEffect, useRef, useState } from "preact/hooks"
import { StudentEscalation, StudentFallback, StudentInject, StudentType } from "../api/messages.ts"
import { decode, parseJson } from "../lib/decode.ts"

/** Where the student's call for a teacher stands, as the page shows it. */
export interface TeacherHelp {
  readonly reason: string
  /** a teacher claimed it and is with the session */
  readonly joined: boolean
  /** nobody came in time: what to do meanwhile */
  readonly fallback: string | null
}

export interface StudentChannelHandlers {
  readonly onInject: (text: string) => void
  /** a teacher was alerted (also for an escalation the page did not ask for) */
  readonly onEscalation: () => void
}

/**
 * The teacher's side of the session, as the student page hears it (`GET /session/{id}/events`):
 * alerted, joined, a fallback when nobody came, and what a teacher wrote. Never a teacher link.
 * EventSource reconnects by itself, so a server restart only pauses it.
 */
export function useStudentChannel(sessionId: string, handlers: StudentChannelHandlers): readonly [TeacherHelp | null, () => void] {
  const latest = useRef(handlers)
  latest.current = handlers
  const [help, setHelp] = useState<TeacherHelp | null>(null)
  useEffect(() => {
    const source = new EventSource(`/session/${encodeURIComponent(sessionId)}/events`)
    const receive = (event: MessageEvent<unknown>) => {
      if (typeof event.data !== "string") return
      const body = parseJson(event.data)
      const kind = decode(StudentType, body)
      if (!kind.ok) return
      switch (kind.value.type) {
        case "inject": {
          const inject = decode(StudentInject, body)
          if (inject.ok) latest.current.onInject(inject.value.text)
          return
        }
        case "escalation": {
          const escalation = decode(StudentEscalation, body)
          if (!escalation.ok) return
          setHelp((current) => current?.joined ? current : { reason: escalation.value.reason, joined: false, fallback: null })
          latest.current.onEscalation()
          return
        }
        case "teacher_joined":
          setHelp((current) => ({ reason: current?.reason ?? "", joined: true, fallback: null }))
          return
        case "fallback": {
          const fallback = decode(StudentFallback, body)
          if (fallback.ok) {
            setHelp((current) => current?.joined ? current : { reason: current?.reason ?? "", joined: false, fallback: fallback.value.text })
          }
          return
        }
      }
    }
    for (const type of ["message", "inject", "escalation", "teacher_joined", "fallback"]) source.addEventListener(type, receive)
    return () => source.close()
  }, [sessionId])
  return [help, () => setHelp(null)]
}
