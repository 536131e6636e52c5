import { useCallback, useEffect, useRef, useState } from "preact/hooks"
import { fetchInbox, followInbox, type InboxItem, isSignedOut } from "../api/teacher.ts"
import { errorMessage } from "../student/types.ts"

export interface InboxEntry {
  readonly item: InboxItem
  /** when it was raised on this browser's clock, from the server's count: the two clocks may disagree */
  readonly raisedLocally: number
}

export interface InboxState {
  /** null until the first snapshot arrives */
  readonly entries: ReadonlyArray<InboxEntry> | null
  readonly live: boolean
  readonly failure: string | null
  readonly refresh: () => void
  /** a claim's answer, shown before the stream's next snapshot says the same */
  readonly update: (item: InboxItem) => void
}

const entry = (item: InboxItem, now: number): InboxEntry => ({ item, raisedLocally: now - item.waiting_seconds * 1000 })

/** An open escalation's wait keeps growing; a claimed one's stopped when a teacher took it. */
export const waitingSeconds = ({ item, raisedLocally }: InboxEntry, now: number): number =>
  item.state === "open" ? Math.max(0, (now - raisedLocally) / 1000) : item.waiting_seconds

/**
 * The live inbox of the signed-in teacher (every unresolved escalation, urgent first, then oldest,
 * as the server sorts it). `onSignedOut` runs when the server stops knowing this browser (401).
 */
export function useInbox(onSignedOut: () => void): InboxState {
  const [entries, setEntries] = useState<ReadonlyArray<InboxEntry> | null>(null)
  const [live, setLive] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)
  // the latest callback, without restarting the stream when the parent re-renders
  const signedOut = useRef(onSignedOut)
  signedOut.current = onSignedOut

  const show = useCallback((items: ReadonlyArray<InboxItem>) => {
    const now = Date.now()
    setEntries(items.map((item) => entry(item, now)))
    setFailure(null)
  }, [])
  const fail = useCallback((error: unknown) => {
    if (isSignedOut(error)) signedOut.current()
    else setFailure(errorMessage(error))
  }, [])

  useEffect(() => followInbox({ onInbox: show, onLive: setLive, onFailure: fail }), [show, fail])

  const refresh = useCallback(() => void fetchInbox().then(show, fail), [show, fail])
  const update = useCallback((item: InboxItem) => {
    const now = Date.now()
    setEntries((current) =>
      current?.map((known) => (known.item.escalation_id === item.escalation_id ? entry(item, now) : known)) ?? null
    )
  }, [])
  return { entries, live, failure, refresh, update }
}
