import { useEffect, useRef, useState } from "preact/hooks"
import { TeacherEscalation, TeacherHint, TeacherType, TranscriptMessage } from "../api/messages.ts"
import { speakerLabel, TranscriptPanel } from "../components/TranscriptPanel.tsx"
import type { Version } from "../content.ts"
import { decode, parseJson } from "../lib/decode.ts"
import { useTranscript } from "../student/useTranscript.ts"

const SUBTITLE: Record<Version, string> = {
  a: "Version A: Join the LiveKit room to observe with full audio/video",
  b: "Version B: Monitor transcript and inject guidance via WebSocket"
}

interface Props {
  readonly version: Version
  readonly session: string
  readonly token: string
}

export function TeacherPage({ version, session, token }: Props) {
  return (
    <main class="page">
      <header class="page-header">
        <div>
          <h1>Teacher Portal</h1>
          <p class="muted">{SUBTITLE[version]}</p>
        </div>
        <a href="/">← Home</a>
      </header>
      {version === "a"
        ? (
          <section class="card">
            <h2 class="card-title">Version A — LiveKit Teacher Access</h2>
            <p>
              In Version A the teacher joins the student's LiveKit room directly, with full audio and video, using the
              teacher token issued when the student is escalated. There is nothing to inject here: talk to the student in
              the room.
            </p>
          </section>
        )
        : <TeacherObserver session={session} token={token} />}
    </main>
  )
}

interface EscalationNotice {
  readonly reason: string
  readonly at: Date
}

/** Keeps idle sockets alive through proxies that drop silent connections. */
const PING_MS = 25_000
const RETRY_MS = [1_000, 3_000, 10_000, 30_000] as const

type Link = "connecting" | "connected" | "disconnected"

/** Version B teacher: live transcript and escalations over the teacher WebSocket; hints and injects back. */
function TeacherObserver({ session, token }: { session: string; token: string }) {
  const [link, setLink] = useState<Link>("disconnected")
  const [turns, transcript] = useTranscript()
  const [escalations, setEscalations] = useState<ReadonlyArray<EscalationNotice>>([])
  const [hints, setHints] = useState<ReadonlyArray<string>>([])
  const [draft, setDraft] = useState("")
  const [sent, setSent] = useState<string | null>(null)
  const socket = useRef<WebSocket | null>(null)

  useEffect(() => {
    if (!session || !token) return
    let closed = false
    let attempt = 0
    let retry: ReturnType<typeof setTimeout> | undefined
    let ping: ReturnType<typeof setInterval> | undefined
    const connect = () => {
      const scheme = window.location.protocol === "https:" ? "wss" : "ws"
      const url = `${scheme}://${window.location.host}/ws/teacher/${encodeURIComponent(session)}?token=${encodeURIComponent(token)}`
      const ws = new WebSocket(url)
      socket.current = ws
      setLink("connecting")
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
        socket.current = null
        setLink("disconnected")
        if (!closed) retry = setTimeout(connect, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)])
      })
    }
    const receive = (data: string) => {
      const body = parseJson(data)
      const kind = decode(TeacherType, body)
      if (!kind.ok) return
      switch (kind.value.type) {
        case "transcript": {
          const turn = decode(TranscriptMessage, body)
          if (turn.ok) transcript.add(speakerLabel(turn.value.speaker, turn.value.subject), turn.value.text)
          return
        }
        case "escalation": {
          const escalation = decode(TeacherEscalation, body)
          if (escalation.ok) setEscalations((current) => [...current, { reason: escalation.value.reason, at: new Date() }])
          return
        }
        case "teacher_hint": {
          const hint = decode(TeacherHint, body)
          if (hint.ok) setHints((current) => [...current, hint.value.text])
          return
        }
        case "connected":
        case "pong":
          return
      }
    }
    connect()
    return () => {
      closed = true
      clearTimeout(retry)
      socket.current?.close()
    }
  }, [session, token])

  const send = (type: "inject" | "hint") => {
    const text = draft.trim()
    const ws = socket.current
    if (!text || !ws || ws.readyState !== WebSocket.OPEN) return
    ws.send(JSON.stringify({ type, text }))
    setSent(type === "inject" ? `Sent to the student: “${text}”` : `Hint shared with teachers: “${text}”`)
    setDraft("")
  }

  const connected = link === "connected"
  const latest = escalations.at(-1)
  return (
    <div class="teacher-grid">
      <section class="card" data-testid="teacher-session" data-link={link}>
        <div class="session-status">
          <span class={`status-dot status-${connected ? "realtime" : "idle"}`} aria-hidden="true" />
          <span>{connected ? "Connected" : "Disconnected"}</span>
          {session && <span class="muted">Session {session}</span>}
        </div>
        {!session && <p class="notice">Open this page from a student's escalation link: it names no session.</p>}
        {session && !token && (
          <p class="notice">This link has no teacher token. Open the link from the student's escalation banner.</p>
        )}
      </section>

      {latest && (
        <section class="card banner" data-testid="escalation-panel" role="status">
          <strong>Student escalated</strong>
          <p>{latest.reason || "Needs assistance"}</p>
          <p class="muted">{latest.at.toLocaleTimeString()}</p>
        </section>
      )}

      <TranscriptPanel turns={turns} />

      <section class="card">
        <form
          class="ask"
          onSubmit={(event) => {
            event.preventDefault()
            send("inject")
          }}
        >
          <label for="teacher-inject">Message to the student</label>
          <textarea
            id="teacher-inject"
            data-testid="teacher-inject-input"
            rows={2}
            placeholder="Inject a hint or correction..."
            value={draft}
            onInput={(event) => setDraft(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter" && !event.shiftKey) {
                event.preventDefault()
                send("inject")
              }
            }}
          />
          <div class="row">
            <button type="submit" class="button" data-testid="teacher-inject-submit" disabled={!connected}>Inject</button>
            <button type="button" class="button secondary" data-testid="teacher-hint-submit" disabled={!connected} onClick={() => send("hint")}>
              Share as hint with teachers
            </button>
          </div>
          {sent && <p class="muted" role="status">{sent}</p>}
        </form>
        {hints.length > 0 && (
          <>
            <h3 class="tradeoff-column-heading">Teacher hints</h3>
            <ul class="bullets" data-testid="teacher-hints">
              {hints.map((hint, index) => <li key={index}>{hint}</li>)}
            </ul>
          </>
        )}
      </section>
    </div>
  )
}
