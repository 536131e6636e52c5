import type { Severity } from "../api/messages.ts"
import { categoryLabel } from "../teacher/labels.ts"

/** Urgent is red and says so in words too: colour alone does not reach every teacher. */
export function SeverityBadge({ severity }: { severity: Severity | null }) {
  if (severity === "urgent") return <span class="badge badge-urgent">Urgent</span>
  if (severity === "standard") return <span class="badge badge-standard">Standard</span>
  return <span class="badge badge-standard">Not rated</span>
}

/** Severity and category of an escalation, the first thing a teacher reads about it. */
export function EscalationTags({ severity, category }: { severity: Severity | null; category: string | null }) {
  return (
    <span class="escalation-tags">
      <SeverityBadge severity={severity} />
      <strong class="escalation-category">{categoryLabel(category)}</strong>
    </span>
  )
}
