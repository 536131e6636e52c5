import { useCallback, useEffect, useState } from "preact/hooks"
import { currentTeacher, signOut, type TeacherProfile } from "../api/teacher.ts"
import { TeacherLinkHelp } from "../components/TeacherLinkHelp.tsx"
import { errorMessage } from "../student/types.ts"
import { TeacherInbox } from "./TeacherInbox.tsx"
import { TeacherSession } from "./TeacherSession.tsx"

type Account =
  | { readonly kind: "checking" }
  | { readonly kind: "signed-in"; readonly teacher: TeacherProfile }
  /** `expired`: the server stopped knowing this browser while the page was open */
  | { readonly kind: "signed-out"; readonly why: "never" | "expired" | "left" }
  | { readonly kind: "failed"; readonly detail: string }

/**
 * `/teacher` (the inbox) and `/teacher?session=<id>` (a claimed session). Both need a signed-in
 * teacher: the HttpOnly cookie cannot be read here, so `GET /api/teacher/me` says who, if anyone.
 */
export function TeacherPage({ session }: { session: string | null }) {
  const [account, setAccount] = useState<Account>({ kind: "checking" })
  const [leaving, setLeaving] = useState(false)

  useEffect(() => {
    currentTeacher().then(
      (teacher) => setAccount(teacher ? { kind: "signed-in", teacher } : { kind: "signed-out", why: "never" }),
      (failure: unknown) => setAccount({ kind: "failed", detail: errorMessage(failure) })
    )
  }, [])

  const expired = useCallback(() => setAccount({ kind: "signed-out", why: "expired" }), [])

  const leave = async () => {
    setLeaving(true)
    try {
      await signOut()
    } catch {
      // the cookie may already be gone; either way this page forgets the teacher
    }
    setLeaving(false)
    setAccount({ kind: "signed-out", why: "left" })
  }

  switch (account.kind) {
    case "checking":
      return (
        <main class="page teacher-page">
          <h1>Teacher inbox</h1>
          <p class="muted" role="status">Checking your sign-in…</p>
        </main>
      )
    case "failed":
      return (
        <main class="page teacher-page">
          <h1>Teacher inbox</h1>
          <section class="card" role="alert">
            <p class="error">Could not reach the server: {account.detail}</p>
            <button type="button" class="button" onClick={() => window.location.reload()}>Try again</button>
          </section>
        </main>
      )
    case "signed-out":
      return <SignInNeeded why={account.why} />
    case "signed-in":
      return (
        <main class="page teacher-page">
          <header class="page-header teacher-header" data-testid="teacher-signed-in">
            <div>
              <h1>{session === null ? "Teacher inbox" : "Student session"}</h1>
              <p class="muted">
                Signed in as <strong class="teacher-name">{account.teacher.name}</strong>
                {account.teacher.role === "admin" && " (safeguarding lead)"}
              </p>
            </div>
            <button type="button" class="button secondary" data-testid="teacher-sign-out" disabled={leaving} onClick={() => void leave()}>
              {leaving ? "Signing out…" : "Sign out"}
            </button>
          </header>
          {session === null
            ? <TeacherInbox onSignedOut={expired} />
            : <TeacherSession sessionId={session} onSignedOut={expired} />}
        </main>
      )
  }
}

const SIGNED_OUT_TITLE = {
  never: "Sign in to see the teacher inbox",
  expired: "Your sign-in has ended",
  left: "You have signed out"
} as const

function SignInNeeded({ why }: { why: "never" | "expired" | "left" }) {
  return (
    <main class="page teacher-page teacher-narrow">
      <header class="page-header">
        <h1>Teacher inbox</h1>
        <a href="/">← Home</a>
      </header>
      <section class="card" data-testid="teacher-sign-in-needed" data-reason={why}>
        <h2 class="card-title">{SIGNED_OUT_TITLE[why]}</h2>
        <TeacherLinkHelp />
      </section>
    </main>
  )
}
