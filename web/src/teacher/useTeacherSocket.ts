import { useEffect, useRef, useState } from "preact/hooks"
import { ApiError } from "../api/http.ts"
import { TeacherEscalation, TeacherHint, TeacherType, TranscriptMessage } from "../api/messages.ts"
import { isSignedOut, type SessionTurn, teacherSocketUrl } from "../api/teacher.ts"
import { speakerLabel, type Turn } from "../components/TranscriptPanel.tsx"
import { decode, parseJson } from "../lib/decode.ts"

/** Keeps idle sockets alive through proxies that drop silent connections. */
const PING_MS = 25_000
const RETRY_MS = [1_000, 3_000, 10_000, 30_000] as const

export type Link = "connecting" | "connected" | "disconnected"

/** Why the socket stopped for good: retrying cannot help, the page must say so. */
export type AccessLost = "signed-out" | "not-claimed"

export interface TeacherSocket {
  readonly link: Link
  readonly turns: ReadonlyArray<Turn>
  /** the session's escalations the socket announced (the open ones on connect, then new ones) */
  readonly escalations: ReadonlyArray<TeacherEscalation>
  readonly hints: ReadonlyArray<string>
  /** false when the socket is not open, so nothing was sent */
  readonly send: (type: "inject" | "hint", text: string) => boolean
}

const sameTurn = (a: Turn, b: Turn) => a.speaker === b.speaker && a.text === b.text

/**
 * The claimed session's live socket (`/ws/teacher/{session}`, same origin, a fresh grant from
 * `POST /api/teacher/sessions/{id}/socket` on every connect). Starts once `history` (the
 * transcript the page read over HTTP) is in hand and shows it at once.
 *
 * On every (re)connect the server sends the whole transcript again before the live turns. Those
 * replayed turns are matched against the ones already shown instead of being appended, so the
 * history never shows twice and does not flicker away while the replay arrives; at the first turn
 * that differs the socket's version wins from there on.
 */
export function useTeacherSocket(
  sessionId: string,
  history: ReadonlyArray<SessionTurn> | null,
  onAccessLost: (why: AccessLost) => void
): TeacherSocket {
  const [link, setLink] = useState<Link>("connecting")
  const [turns, setTurns] = useState<ReadonlyArray<Turn>>([])
  const [escalations, setEscalations] = useState<ReadonlyArray<TeacherEscalation>>([])
  const [hints, setHints] = useState<ReadonlyArray<string>>([])
  const socket = useRef<WebSocket | null>(null)
  const lost = useRef(onAccessLost)
  lost.current = onAccessLost

  useEffect(() => {
    if (history === null) return
    let closed = false
    let attempt = 0
    let retry: ReturnType<typeof setTimeout> | undefined
    let ping: ReturnType<typeof setInterval> | undefined
    let counter = 0
    const turn = (speaker: string, subject: string | null, text: string): Turn => ({
      id: `turn-${++counter}`,
      speaker: speakerLabel(speaker, subject),
      text
    })
    let shown: ReadonlyArray<Turn> = history.map((line) => turn(line.speaker, line.subject, line.text))
    // how many shown turns the current connection's replay has matched; null once past them
    let replayed: number | null = null
    setTurns(shown)

    const addTurn = (next: Turn) => {
      if (replayed !== null) {
        const expected = shown[replayed]
        if (expected && sameTurn(expected, next)) {
          replayed++
          return
        }
        shown = shown.slice(0, replayed)
        replayed = null
      }
      shown = [...shown, next]
      setTurns(shown)
    }

    const scheduleRetry = () => {
      if (!closed) retry = setTimeout(() => void connect(), RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)])
    }

    const stop = (why: AccessLost) => {
      setLink("disconnected")
      lost.current(why)
    }

    const receive = (data: string) => {
      const body = parseJson(data)
      const kind = decode(TeacherType, body)
      if (!kind.ok) return
      switch (kind.value.type) {
        case "connected":
          replayed = 0
          return
        case "transcript": {
          const line = decode(TranscriptMessage, body)
          if (line.ok) addTurn(turn(line.value.speaker, line.value.subject, line.value.text))
          return
        }
        case "escalation": {
          const escalation = decode(TeacherEscalation, body)
          if (!escalation.ok) return
          const id = escalation.value.escalation_id
          setEscalations((current) => current.some((known) => known.escalation_id === id) ? current : [...current, escalation.value])
          return
        }
        case "teacher_hint": {
          const hint = decode(TeacherHint, body)
          if (hint.ok) setHints((current) => [...current, hint.value.text])
          return
        }
        case "pong":
          return
      }
    }

    const connect = async () => {
      setLink("connecting")
      let url: string
      try {
        url = await teacherSocketUrl(sessionId)
      } catch (failure) {
        if (closed) return
        if (isSignedOut(failure)) return stop("signed-out")
        if (failure instanceof ApiError && failure.status === 403) return stop("not-claimed")
        setLink("disconnected")
        return scheduleRetry()
      }
      if (closed) return
      const ws = new WebSocket(url)
      socket.current = ws
      ws.addEventListener("open", () => {
        attempt = 0
        setLink("connected")
        ping = setInterval(() => ws.send(JSON.stringify({ type: "ping" })), PING_MS)
      })
      ws.addEventListener("message", (event: MessageEvent<unknown>) => {
        if (typeof event.data === "string") receive(event.data)
      })
      ws.addEventListener("close", () => {
        clearInterval(ping)
        if (socket.current === ws) socket.current = null
        setLink("disconnected")
        // the next grant request tells a lost claim (403) from a network blip
        scheduleRetry()
      })
    }

    void connect()
    return () => {
      closed = true
      clearTimeout(retry)
      socket.current?.close()
      socket.current = null
    }
  }, [sessionId, history])

  const send = (type: "inject" | "hint", text: string) => {
    const ws = socket.current
    if (!ws || ws.readyState !== WebSocket.OPEN) return false
    ws.send(JSON.stringify({ type, text }))
    return true
  }
  return { link, turns, escalations, hints, send }
}
