import { useEffect, useRef, useState } from "preact/hooks"
import type { Room } from "livekit-client"
import { TeacherEscalation, TeacherHint, TeacherType, TranscriptMessage } from "../api/messages.ts"
import { speakerLabel, type Turn, TranscriptPanel } from "../components/TranscriptPanel.tsx"
import type { Version } from "../content.ts"
import { decode, parseJson } from "../lib/decode.ts"
import { joinRoom } from "../lib/livekitRoom.ts"
import { liveKitRoom } from "../student/teacherLink.ts"
import { errorMessage } from "../student/types.ts"
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
      {version === "a" ? <TeacherRoomAccess session={session} token={token} /> : <TeacherObserver session={session} token={token} />}
    </main>
  )
}

/** A LiveKit room an escalation invites the teacher into (Version A's agent mints it). */
interface RoomInvite {
  readonly url: string
  readonly room: string
  readonly token: string
}

interface EscalationNotice {
  readonly reason: string
  readonly at: Date
  readonly room: RoomInvite | null
}

/** Keeps idle sockets alive through proxies that drop silent connections. */
const PING_MS = 25_000
const RETRY_MS = [1_000, 3_000, 10_000, 30_000] as const

type Link = "connecting" | "connected" | "disconnected"

interface TeacherSocket {
  readonly link: Link
  readonly turns: ReadonlyArray<Turn>
  readonly escalations: ReadonlyArray<EscalationNotice>
  readonly hints: ReadonlyArray<string>
  /** false when the socket is not open, so nothing was sent */
  readonly send: (type: "inject" | "hint", text: string) => boolean
}

/**
 * The session's teacher WebSocket (`/ws/teacher/{session}?token=…`, same origin), shared by both
 * versions' teacher pages: transcript, escalations and hints in; reconnects with back-off.
 */
function useTeacherSocket(session: string, token: string): TeacherSocket {
  const [link, setLink] = useState<Link>("disconnected")
  const [turns, transcript] = useTranscript()
  const [escalations, setEscalations] = useState<ReadonlyArray<EscalationNotice>>([])
  const [hints, setHints] = useState<ReadonlyArray<string>>([])
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
          if (!escalation.ok) return
          const room = liveKitRoom(escalation.value.livekit_url)
          setEscalations((current) => [...current, { reason: escalation.value.reason, at: new Date(), room }])
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

  const send = (type: "inject" | "hint", text: string) => {
    const ws = socket.current
    if (!ws || ws.readyState !== WebSocket.OPEN) return false
    ws.send(JSON.stringify({ type, text }))
    return true
  }
  return { link, turns, escalations, hints, send }
}

/** Whether the teacher socket is up, and why not when the link itself is incomplete. */
function LinkStatus({ link, session, token }: { link: Link; session: string; token: string }) {
  const connected = link === "connected"
  return (
    <section class="card" data-testid="teacher-session" data-link={link}>
      <div class="session-status">
        <span class={`status-dot status-${connected ? "realtime" : "idle"}`} aria-hidden="true" />
        <span>{connected ? "Connected" : "Disconnected"}</span>
        {session && <span class="muted">Session {session}</span>}
      </div>
      {!session && <p class="notice">Open this page from a student's escalation link: it names no session.</p>}
      {session && !token && <p class="notice">This link has no teacher token. Open the link from the student's escalation banner.</p>}
    </section>
  )
}

function EscalationPanel({ latest }: { latest: EscalationNotice | undefined }) {
  if (!latest) return null
  return (
    <section class="card banner" data-testid="escalation-panel" role="status">
      <strong>Student escalated</strong>
      <p>{latest.reason || "Needs assistance"}</p>
      <p class="muted">{latest.at.toLocaleTimeString()}</p>
    </section>
  )
}

/** Version B teacher: live transcript and escalations over the teacher WebSocket; hints and injects back. */
function TeacherObserver({ session, token }: { session: string; token: string }) {
  const { link, turns, escalations, hints, send } = useTeacherSocket(session, token)
  const [draft, setDraft] = useState("")
  const [sent, setSent] = useState<string | null>(null)

  const submit = (type: "inject" | "hint") => {
    const text = draft.trim()
    if (!text || !send(type, text)) return
    setSent(type === "inject" ? `Sent to the student: “${text}”` : `Hint shared with teachers: “${text}”`)
    setDraft("")
  }

  const connected = link === "connected"
  return (
    <div class="teacher-grid">
      <LinkStatus link={link} session={session} token={token} />
      <EscalationPanel latest={escalations.at(-1)} />
      <TranscriptPanel turns={turns} />

      <section class="card">
        <form
          class="ask"
          onSubmit={(event) => {
            event.preventDefault()
            submit("inject")
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
                submit("inject")
              }
            }}
          />
          <div class="row">
            <button type="submit" class="button" data-testid="teacher-inject-submit" disabled={!connected}>Inject</button>
            <button type="button" class="button secondary" data-testid="teacher-hint-submit" disabled={!connected} onClick={() => submit("hint")}>
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

type RoomState =
  | { readonly kind: "idle" | "joining" | "joined" }
  | { readonly kind: "failed"; readonly detail: string }

/**
 * Version A teacher: the same socket shows the transcript and escalations; an escalation from
 * Version A's agent carries a LiveKit token for the student's room, which the teacher joins here
 * with audio (and sees video). There is no inject box: in A the teacher talks in the room.
 */
function TeacherRoomAccess({ session, token }: { session: string; token: string }) {
  const { link, turns, escalations } = useTeacherSocket(session, token)
  const [state, setState] = useState<RoomState>({ kind: "idle" })
  const room = useRef<Room | null>(null)
  const audio = useRef<HTMLDivElement>(null)
  const video = useRef<HTMLDivElement>(null)
  // the newest invitation: an older token may have expired (they last an hour)
  const invite = escalations.findLast((escalation) => escalation.room !== null)?.room ?? null

  useEffect(() => () => void room.current?.disconnect(), [])

  const join = async (target: RoomInvite) => {
    const speakers = audio.current
    if (!speakers) return
    setState({ kind: "joining" })
    try {
      room.current = await joinRoom({
        url: target.url,
        token: target.token,
        audio: speakers,
        video: video.current ?? undefined,
        onDisconnected: () => setState({ kind: "idle" })
      })
      setState({ kind: "joined" })
    } catch (failure) {
      setState({ kind: "failed", detail: errorMessage(failure) })
    }
  }

  const leave = () => {
    void room.current?.disconnect()
    room.current = null
    setState({ kind: "idle" })
  }

  return (
    <div class="teacher-grid">
      <section class="card">
        <h2 class="card-title">Version A — LiveKit Teacher Access</h2>
        <p>
          In Version A the teacher joins the student's LiveKit room directly, with full audio and video, using the
          teacher token issued when the student is escalated. There is nothing to inject here: talk to the student in
          the room.
        </p>
      </section>
      <LinkStatus link={link} session={session} token={token} />
      <EscalationPanel latest={escalations.at(-1)} />

      <section class="card session" data-testid="teacher-room" data-state={invite ? state.kind : "no-room"}>
        <h2 class="card-title">LiveKit room</h2>
        {!invite
          ? (
            <p class="notice" data-testid="teacher-no-room">
              No LiveKit room to join: none of this session's escalations carries a LiveKit teacher token. They come
              from Version A's agent, so this server or session runs without LiveKit, or the agent has not escalated
              yet. The transcript and escalations below still arrive live.
            </p>
          )
          : state.kind === "joined"
          ? (
            <div class="row">
              <p>In the room {invite.room} — the student and the tutor hear you.</p>
              <button type="button" class="button secondary" onClick={leave}>Leave</button>
            </div>
          )
          : (
            <>
              <p>The student's room {invite.room} is open to you with audio and video.</p>
              <button
                type="button"
                class="button"
                data-testid="teacher-join-room"
                disabled={state.kind === "joining"}
                onClick={() => void join(invite)}
              >
                {state.kind === "joining" ? "Connecting..." : "Join LiveKit room"}
              </button>
              {state.kind === "failed" && <p class="error" role="alert">Could not join the room: {state.detail}</p>}
            </>
          )}
        <div ref={video} class="room-video" />
        <div ref={audio} hidden />
      </section>

      <TranscriptPanel turns={turns} />
    </div>
  )
}
