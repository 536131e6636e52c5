import type { Version } from "../content.ts"

const BODY: Record<Version, string> = {
  a: "A teacher has been invited to join your LiveKit room with audio and video.",
  b: "A teacher is monitoring your session via WebSocket and may send guidance."
}

/** Tells the student a teacher was called, with the link a teacher opens to join. */
export function EscalationBanner(
  { version, reason, teacherLink, onDismiss }: { version: Version; reason: string; teacherLink: string | null; onDismiss: () => void }
) {
  return (
    <section class="card banner" data-testid="escalation-banner" role="status">
      <header class="tradeoff-header">
        <strong>👩‍🏫 Teacher Notified</strong>
        <button type="button" class="icon-button" aria-label="Dismiss" onClick={onDismiss}>✕</button>
      </header>
      <p>{BODY[version]}</p>
      <p class="muted">Reason: {reason}</p>
      {teacherLink && (
        <p>
          <a href={teacherLink} target="_blank" rel="noopener" data-testid="teacher-link">Open the teacher view</a>
        </p>
      )}
    </section>
  )
}
