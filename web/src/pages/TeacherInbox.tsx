import { useEffect, useState } from "preact/hooks"
import { ApiError } from "../api/http.ts"
import { claimEscalation, isSignedOut } from "../api/teacher.ts"
import { EscalationTags } from "../components/EscalationTags.tsx"
import { capitalise } from "../content.ts"
import { errorMessage } from "../student/types.ts"
import { formatDuration, stateLabel, triggerLabel } from "../teacher/labels.ts"
import { type InboxEntry, useInbox, waitingSeconds } from "../teacher/useInbox.ts"
import { useNow } from "../teacher/useNow.ts"

/** The wait is shown in minutes, so a tick every few seconds keeps it right to the minute. */
const TICK_MS = 5_000

const sessionHref = (sessionId: string) => `/teacher?${new URLSearchParams({ session: sessionId }).toString()}`

/** What became of the last "I'm on it", for the item it was pressed on. */
interface ClaimNote {
  readonly id: string
  readonly text: string
}

/** Every unresolved escalation, live: urgent first, then the longest waiting. */
export function TeacherInbox({ onSignedOut }: { onSignedOut: () => void }) {
  const inbox = useInbox(onSignedOut)
  const now = useNow(TICK_MS)
  const [claiming, setClaiming] = useState<string | null>(null)
  const [note, setNote] = useState<ClaimNote | null>(null)

  const claim = async (id: string) => {
    setClaiming(id)
    setNote(null)
    try {
      inbox.update(await claimEscalation(id))
    } catch (failure) {
      if (isSignedOut(failure)) return onSignedOut()
      const status = failure instanceof ApiError ? failure.status : 0
      setNote({
        id,
        text: status === 409
          ? "Another teacher has it."
          : status === 404
          ? "This escalation is no longer open."
          : `Could not claim it: ${errorMessage(failure)}`
      })
      // the stream may not have told this page yet who took it
      if (status === 409 || status === 404) inbox.refresh()
    } finally {
      setClaiming(null)
    }
  }

  const entries = inbox.entries
  const waiting = entries?.filter((entry) => entry.item.state === "open") ?? []
  const urgent = waiting.filter((entry) => entry.item.severity === "urgent").length

  // a teacher keeps the inbox in a background tab: the tab's title tells when someone waits
  useEffect(() => {
    document.title = `${waiting.length > 0 ? `(${waiting.length}) ` : ""}Teacher inbox — Voice AI Tutor`
  }, [waiting.length])

  return (
    <section class="teacher-inbox" aria-labelledby="inbox-heading">
      <div class="session-header">
        <h2 id="inbox-heading" class="card-title">Students waiting for an adult</h2>
        <span class="session-status" data-testid="inbox-live" data-live={inbox.live ? "live" : "reconnecting"}>
          <span class={`status-dot status-${inbox.live ? "realtime" : "connecting"}`} aria-hidden="true" />
          <span class="muted">{inbox.live ? "Live" : "Reconnecting…"}</span>
        </span>
      </div>
      {entries !== null && entries.length > 0 && (
        <p class="muted" role="status" data-testid="inbox-summary">
          {waiting.length === 0
            ? "Every student here has a teacher."
            : `${waiting.length} waiting for a teacher${urgent > 0 ? `, ${urgent} urgent` : ""}.`}
        </p>
      )}
      {inbox.failure && <p class="error" role="alert">Could not refresh the inbox: {inbox.failure}</p>}
      {note && !entries?.some((entry) => entry.item.escalation_id === note.id) && (
        <p class="notice" role="status" data-testid="inbox-claim-note">{note.text}</p>
      )}
      {entries === null
        ? <p class="muted" role="status">Loading the inbox…</p>
        : entries.length === 0
        ? (
          <div class="card" data-testid="inbox-empty">
            <p>No open escalations.</p>
            <p class="muted">This page updates by itself: a new one shows here as soon as a student needs an adult.</p>
          </div>
        )
        : (
          <ul class="inbox" data-testid="inbox">
            {entries.map((entry) => (
              <InboxRow
                key={entry.item.escalation_id}
                entry={entry}
                now={now}
                claiming={claiming === entry.item.escalation_id}
                note={note?.id === entry.item.escalation_id ? note.text : null}
                onClaim={() => void claim(entry.item.escalation_id)}
              />
            ))}
          </ul>
        )}
    </section>
  )
}

interface RowProps {
  readonly entry: InboxEntry
  readonly now: number
  readonly claiming: boolean
  readonly note: string | null
  readonly onClaim: () => void
}

function InboxRow({ entry, now, claiming, note, onClaim }: RowProps) {
  const { item } = entry
  const waited = formatDuration(waitingSeconds(entry, now))
  const urgent = item.severity === "urgent"
  return (
    <li
      class={`card inbox-item${urgent ? " inbox-item-urgent" : ""}`}
      data-testid="inbox-item"
      data-state={item.state}
      data-severity={item.severity ?? "none"}
      data-escalation={item.escalation_id}
      data-session={item.session_id}
    >
      <div class="inbox-item-head">
        <EscalationTags severity={item.severity} category={item.category} />
        <span class={item.state === "open" ? "inbox-waiting" : "muted"}>
          {item.state === "open" ? `waiting ${waited}` : `waited ${waited}`}
        </span>
      </div>
      <p class="inbox-reason">{item.reason || "No reason given"}</p>
      <p class="muted inbox-meta">
        {capitalise(triggerLabel(item.trigger))} · raised{" "}
        {new Date(item.raised_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}
      </p>
      <div class="row inbox-actions">
        <span class="muted" data-testid={item.state === "claimed" && !item.mine ? "inbox-claimed-by" : undefined}>
          {stateLabel(item.state, item.claimed_by, item.mine)}
        </span>
        {item.state === "open" && (
          <button type="button" class="button" data-testid="inbox-claim" disabled={claiming} onClick={onClaim}>
            {claiming ? "Claiming…" : "I'm on it"}
          </button>
        )}
        {item.state === "claimed" && item.mine && (
          <a class="button" data-testid="inbox-open" href={sessionHref(item.session_id)}>Open session</a>
        )}
      </div>
      {note && <p class="notice" role="status" data-testid="inbox-claim-note">{note}</p>}
    </li>
  )
}
