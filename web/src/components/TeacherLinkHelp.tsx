/** Where a teacher's one-time sign-in link comes from: there is no password to type anywhere. */
export function TeacherLinkHelp() {
  return (
    <>
      <p>
        Teachers sign in with a one-time link. Ask the person who runs the tutor (the school's administrator) for one.
        They create it on the server:
      </p>
      <ul class="bullets">
        <li>
          a new teacher: <code class="command">tutor teacher add --name "Your Name" --email you@school.org</code>
        </li>
        <li>
          a teacher who already has an account: <code class="command">tutor teacher link --email you@school.org</code>
        </li>
      </ul>
      <p class="muted">
        On a demo server (no database configured), a link for the demo teacher is printed in the server's start-up log.
        Each link works once and expires; open it in the browser you will use for the inbox.
      </p>
    </>
  )
}
