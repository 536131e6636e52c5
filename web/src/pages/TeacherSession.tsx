import { useCallback, useEffect, useRef, useState } from "preact/hooks"
import type { Room } from "livekit-client"
import { ApiError } from "../api/http.ts"
import type { Severity } from "../api/messages.ts"
import {
  claimEscalation,
  fetchTeacherSession,
  type InboxItem,
  isSignedOut,
  resolveEscalation,
  teacherRoomGrant,
  type TeacherSessionView
} from "../api/teacher.ts"
import { EscalationTags } from "../components/EscalationTags.tsx"
import { TranscriptPanel } from "../components/TranscriptPanel.tsx"
import { capitalise } from "../content.ts"
import { joinRoom } from "../lib/livekitRoom.ts"
import { errorMessage } from "../student/types.ts"
import { useServerFeatures } from "../student/useServerFeatures.ts"
import { stateLabel, triggerLabel } from "../teacher/labels.ts"
import { useInbox } from "../teacher/useInbox.ts"
import { type AccessLost, type Link, useTeacherSocket } from "../teacher/useTeacherSocket.ts"

/** The server's limit on a resolution note, an inject and a hint. */
const MAX_TEXT = 2_000

type Loaded =
  | { readonly kind: "loading" }
  | { readonly kind: "ready"; readonly view: TeacherSessionView }
  | { readonly kind: "not-claimed" }
  | { readonly kind: "failed"; readonly detail: string }

/** An escalation of this session, whether the inbox (full detail) or only the socket has told of it. */
interface SessionEscalation {
  readonly escalation_id: string
  readonly reason: string
  readonly trigger: string
  readonly category: string | null
  readonly severity: Severity | null
  /** null: known from the socket only, before the inbox says where it stands */
  readonly item: InboxItem | null
}

const fromItem = (item: InboxItem): SessionEscalation => ({ ...item, item })

/**
 * `/teacher?session=<id>`: the session of an escalation this teacher claimed. The transcript so
 * far comes over HTTP (which also says whether the teacher may be here), then the live socket
 * takes over; the escalations' states come from the inbox stream.
 */
export function TeacherSession({ sessionId, onSignedOut }: { sessionId: string; onSignedOut: () => void }) {
  const [loaded, setLoaded] = useState<Loaded>({ kind: "loading" })

  useEffect(() => {
    fetchTeacherSession(sessionId).then(
      (view) => setLoaded({ kind: "ready", view }),
      (failure: unknown) => {
        if (isSignedOut(failure)) return onSignedOut()
        if (failure instanceof ApiError && failure.status === 403) return setLoaded({ kind: "not-claimed" })
        setLoaded({ kind: "failed", detail: failure instanceof ApiError && failure.status === 422 ? "this link names no valid session" : errorMessage(failure) })
      }
    )
  }, [sessionId, onSignedOut])

  const accessLost = useCallback((why: AccessLost) => {
    if (why === "signed-out") onSignedOut()
    else setLoaded({ kind: "not-claimed" })
  }, [onSignedOut])

  switch (loaded.kind) {
    case "loading":
      return <p class="muted" role="status">Opening the session…</p>
    case "not-claimed":
      return (
        <section class="card" role="alert" data-testid="teacher-not-claimed">
          <h2 class="card-title">You have not claimed this session</h2>
          <p>
            Only the teacher who pressed “I'm on it” on one of its escalations can open a session. Another teacher may
            have it, or it has been resolved.
          </p>
          <a class="button" href="/teacher">Back to the inbox</a>
        </section>
      )
    case "failed":
      return (
        <section class="card" role="alert">
          <p class="error">Could not open the session: {loaded.detail}</p>
          <div class="row">
            <button type="button" class="button" onClick={() => window.location.reload()}>Try again</button>
            <a class="button secondary" href="/teacher">Back to the inbox</a>
          </div>
        </section>
      )
    case "ready":
      return <ClaimedSession view={loaded.view} onSignedOut={onSignedOut} onAccessLost={accessLost} />
  }
}

interface ClaimedProps {
  readonly view: TeacherSessionView
  readonly onSignedOut: () => void
  readonly onAccessLost: (why: AccessLost) => void
}

function ClaimedSession({ view, onSignedOut, onAccessLost }: ClaimedProps) {
  const sessionId = view.session_id
  const socket = useTeacherSocket(sessionId, view.transcript, onAccessLost)
  const inbox = useInbox(onSignedOut)
  const features = useServerFeatures()

  // the inbox stream is the truth once it has spoken (it drops resolved ones); until then the
  // page's own read, plus any escalation the socket announced since
  const fromInbox = inbox.entries?.filter((entry) => entry.item.session_id === sessionId).map((entry) => fromItem(entry.item))
  const known = fromInbox ?? view.escalations.map(fromItem)
  const escalations = inbox.entries === null
    ? [
      ...known,
      ...socket.escalations
        .filter((notice) => !known.some((escalation) => escalation.escalation_id === notice.escalation_id))
        .map((notice) => ({ ...notice, item: null }))
    ]
    : known
  const mine = escalations.flatMap((escalation) => escalation.item?.mine && escalation.item.state === "claimed" ? [escalation.item] : [])

  return (
    <>
      <a href="/teacher">← Back to the inbox</a>
      <div class="teacher-session-grid">
        <div class="teacher-column">
          <LinkStatus link={socket.link} sessionId={sessionId} />
          <EscalationPanel escalations={escalations} onUpdate={inbox.update} onSignedOut={onSignedOut} />
          <TranscriptPanel turns={socket.turns} />
        </div>
        <div class="teacher-column">
          <MessageCard link={socket.link} hints={socket.hints} send={socket.send} />
          {features.kind === "known" && features.features.livekit && <RoomCard sessionId={sessionId} />}
          <ResolveCard claims={mine} onSignedOut={onSignedOut} />
        </div>
      </div>
    </>
  )
}

const LINK_TEXT: Readonly<Record<Link, string>> = {
  connected: "Live: you see the conversation as it happens",
  connecting: "Connecting…",
  disconnected: "Disconnected: reconnecting…"
}

function LinkStatus({ link, sessionId }: { link: Link; sessionId: string }) {
  const dot = link === "connected" ? "realtime" : link === "connecting" ? "connecting" : "idle"
  return (
    <section class="card" data-testid="teacher-session" data-link={link}>
      <div class="session-status link-status" role="status">
        <span class={`status-dot status-${dot}`} aria-hidden="true" />
        <span>{LINK_TEXT[link]}</span>
      </div>
      <p class="muted session-id">Session {sessionId}</p>
    </section>
  )
}

interface EscalationPanelProps {
  readonly escalations: ReadonlyArray<SessionEscalation>
  readonly onUpdate: (item: InboxItem) => void
  readonly onSignedOut: () => void
}

/** What this session's escalations are about and who has them; an open one can be claimed from here. */
function EscalationPanel({ escalations, onUpdate, onSignedOut }: EscalationPanelProps) {
  const [claiming, setClaiming] = useState<string | null>(null)
  const [note, setNote] = useState<string | null>(null)
  if (escalations.length === 0) return null

  const claim = async (id: string) => {
    setClaiming(id)
    setNote(null)
    try {
      onUpdate(await claimEscalation(id))
    } catch (failure) {
      if (isSignedOut(failure)) return onSignedOut()
      setNote(failure instanceof ApiError && failure.status === 409 ? "Another teacher has it." : `Could not claim it: ${errorMessage(failure)}`)
    } finally {
      setClaiming(null)
    }
  }

  const urgent = escalations.some((escalation) => escalation.severity === "urgent")
  return (
    <section class={`card banner${urgent ? " banner-urgent" : ""}`} data-testid="escalation-panel" aria-labelledby="escalations-heading">
      <h2 id="escalations-heading" class="card-title">{escalations.length === 1 ? "Why you are here" : "This session's escalations"}</h2>
      <ul class="session-escalations">
        {escalations.map((escalation) => (
          <li
            key={escalation.escalation_id}
            data-testid="session-escalation"
            data-state={escalation.item?.state ?? "open"}
            data-severity={escalation.severity ?? "none"}
          >
            <EscalationTags severity={escalation.severity} category={escalation.category} />
            <p class="inbox-reason">{escalation.reason || "No reason given"}</p>
            <p class="muted">
              {capitalise(triggerLabel(escalation.trigger))}
              {escalation.item && ` · ${stateLabel(escalation.item.state, escalation.item.claimed_by, escalation.item.mine)}`}
            </p>
            {escalation.item?.state === "open" && (
              <button
                type="button"
                class="button"
                disabled={claiming === escalation.escalation_id}
                onClick={() => void claim(escalation.escalation_id)}
              >
                {claiming === escalation.escalation_id ? "Claiming…" : "I'm on it"}
              </button>
            )}
          </li>
        ))}
      </ul>
      {note && <p class="notice" role="status">{note}</p>}
    </section>
  )
}

interface MessageCardProps {
  readonly link: Link
  readonly hints: ReadonlyArray<string>
  readonly send: (type: "inject" | "hint", text: string) => boolean
}

/** A message shown (and spoken) on the student's page, or a hint for the session's other teachers. */
function MessageCard({ link, hints, send }: MessageCardProps) {
  const [draft, setDraft] = useState("")
  const [sent, setSent] = useState<ReadonlyArray<string>>([])
  const [status, setStatus] = useState<string | null>(null)

  const submit = (type: "inject" | "hint") => {
    const text = draft.trim()
    if (!text) return
    if (!send(type, text)) {
      setStatus("Not sent: the connection is down. It will come back by itself; try again in a moment.")
      return
    }
    if (type === "inject") setSent((current) => [...current, text])
    setStatus(type === "inject" ? "Sent to the student." : `Hint shared with teachers: “${text}”`)
    setDraft("")
  }

  const connected = link === "connected"
  return (
    <section class="card">
      <form
        class="ask"
        onSubmit={(event) => {
          event.preventDefault()
          submit("inject")
        }}
      >
        <label for="teacher-inject">Message to the student</label>
        <p class="muted" id="teacher-inject-help">The student sees it on their page and hears it read aloud.</p>
        <textarea
          id="teacher-inject"
          data-testid="teacher-inject-input"
          aria-describedby="teacher-inject-help"
          rows={3}
          maxLength={MAX_TEXT}
          placeholder="Hi, I'm a teacher. I've read what you wrote…"
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
          <button type="submit" class="button" data-testid="teacher-inject-submit" disabled={!connected || !draft.trim()}>
            Send to the student
          </button>
          <button
            type="button"
            class="button secondary"
            data-testid="teacher-hint-submit"
            disabled={!connected || !draft.trim()}
            onClick={() => submit("hint")}
          >
            Share as hint with teachers
          </button>
        </div>
        {status && <p class="muted" role="status">{status}</p>}
      </form>
      {sent.length > 0 && (
        <>
          <h3 class="tradeoff-column-heading">You sent the student</h3>
          <ul class="bullets" data-testid="teacher-sent">
            {sent.map((text, index) => <li key={index}>{text}</li>)}
          </ul>
        </>
      )}
      {hints.length > 0 && (
        <>
          <h3 class="tradeoff-column-heading">Teacher hints</h3>
          <ul class="bullets" data-testid="teacher-hints">
            {hints.map((hint, index) => <li key={index}>{hint}</li>)}
          </ul>
        </>
      )}
    </section>
  )
}

interface ResolveProps {
  /** the session's escalations this teacher holds: resolving closes them all with the one note */
  readonly claims: ReadonlyArray<InboxItem>
  readonly onSignedOut: () => void
}

function ResolveCard({ claims, onSignedOut }: ResolveProps) {
  const [note, setNote] = useState("")
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)

  const resolve = async () => {
    const text = note.trim()
    if (!text || claims.length === 0) return
    setBusy(true)
    setFailure(null)
    try {
      for (const claim of claims) await resolveEscalation(claim.escalation_id, text)
      window.location.assign("/teacher")
    } catch (error) {
      setBusy(false)
      if (isSignedOut(error)) return onSignedOut()
      setFailure(error instanceof ApiError && error.status === 403 ? "You no longer hold this escalation." : errorMessage(error))
    }
  }

  return (
    <section class="card" aria-labelledby="resolve-heading">
      <h2 id="resolve-heading" class="card-title">Resolve</h2>
      {claims.length === 0
        ? <p class="muted">Nothing here is claimed by you, so there is nothing for you to resolve.</p>
        : (
          <form
            class="ask"
            onSubmit={(event) => {
              event.preventDefault()
              void resolve()
            }}
          >
            <label for="teacher-resolve-note">What happened, and what was done</label>
            <p class="muted" id="teacher-resolve-help">
              Kept with the escalation for the safeguarding record. Needed to resolve it.
            </p>
            <textarea
              id="teacher-resolve-note"
              data-testid="teacher-resolve-note"
              aria-describedby="teacher-resolve-help"
              rows={3}
              required
              maxLength={MAX_TEXT}
              value={note}
              onInput={(event) => setNote(event.currentTarget.value)}
            />
            <div class="row">
              <button type="submit" class="button" data-testid="teacher-resolve-submit" disabled={busy || !note.trim()}>
                {busy ? "Resolving…" : claims.length > 1 ? `Resolve all ${claims.length} and return to the inbox` : "Resolve and return to the inbox"}
              </button>
            </div>
            {failure && <p class="error" role="alert">Could not resolve: {failure}</p>}
          </form>
        )}
    </section>
  )
}

type RoomState =
  | { readonly kind: "idle" | "joining" }
  | { readonly kind: "joined"; readonly room: string }
  | { readonly kind: "failed"; readonly detail: string }

/**
 * Version A: the student's LiveKit room, joined with audio (and their video shown). The token is
 * asked for at the click, not on load: it lets the teacher speak to the child, so none is minted
 * for a teacher who only reads.
 */
function RoomCard({ sessionId }: { sessionId: string }) {
  const [state, setState] = useState<RoomState>({ kind: "idle" })
  const room = useRef<Room | null>(null)
  const audio = useRef<HTMLDivElement>(null)
  const video = useRef<HTMLDivElement>(null)

  useEffect(() => () => void room.current?.disconnect(), [])

  const join = async () => {
    const speakers = audio.current
    if (!speakers) return
    setState({ kind: "joining" })
    try {
      const grant = await teacherRoomGrant(sessionId)
      room.current = await joinRoom({
        url: grant.url,
        token: grant.token,
        audio: speakers,
        video: video.current ?? undefined,
        onDisconnected: () => setState({ kind: "idle" })
      })
      setState({ kind: "joined", room: grant.room })
    } catch (failure) {
      const detail = failure instanceof ApiError && failure.status === 503
        ? "this server has no LiveKit, so there is no room to join."
        : errorMessage(failure)
      setState({ kind: "failed", detail })
    }
  }

  const leave = () => {
    void room.current?.disconnect()
    room.current = null
    setState({ kind: "idle" })
  }

  return (
    <section class="card session" data-testid="teacher-room" data-state={state.kind}>
      <h2 class="card-title">Join LiveKit room</h2>
      {state.kind === "joined"
        ? (
          <>
            <p>You are in the student's room ({state.room}): the student and the tutor hear you.</p>
            <button type="button" class="button secondary" onClick={leave}>Leave the room</button>
          </>
        )
        : (
          <>
            <p>Talk with the student directly, with audio, and see their video if they share it.</p>
            <button type="button" class="button" data-testid="teacher-join-room" disabled={state.kind === "joining"} onClick={() => void join()}>
              {state.kind === "joining" ? "Connecting…" : "Join LiveKit room"}
            </button>
            {state.kind === "failed" && <p class="error" role="alert">Could not join the room: {state.detail}</p>}
          </>
        )}
      <div ref={video} class="room-video" />
      <div ref={audio} hidden />
    </section>
  )
}
